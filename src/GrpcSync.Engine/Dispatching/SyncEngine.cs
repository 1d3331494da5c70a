using GrpcSync.Domain;
using GrpcSync.Engine.Budgets;
using GrpcSync.Engine.Configuration;
using GrpcSync.Connectors;
using GrpcSync.Engine.Credentials;
using GrpcSync.Engine.Running;
using GrpcSync.Engine.Telemetry;
using GrpcSync.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Dispatching;

/// <summary>
/// The dispatcher. Every <see cref="EngineOptions.PollInterval"/> it claims due runs for its free
/// worker slots (<see cref="IEngineStore.DispatchAsync"/> with <see cref="RunRules.Dispatch"/>) and
/// starts a <see cref="RunWorker"/> for each. All time, delays included, comes from the injected
/// <see cref="TimeProvider"/>, so tests drive it with a fake clock; they can also call
/// <see cref="DispatchOnceAsync"/> and <see cref="WhenIdleAsync"/> instead of running the loop.
/// <para>
/// Shutdown: stop claiming, wait up to <see cref="EngineOptions.ShutdownTimeout"/> for in-flight
/// runs, then cancel them; a cancelled worker releases its run (queued again, due now) so another
/// replica or the next start picks it up at once instead of after the lease.
/// </para>
/// </summary>
public sealed partial class SyncEngine : BackgroundService
{
    private readonly IEngineStore _store;
    private readonly ConnectorRegistry _connectors;
    private readonly ICredentialSecrets _secrets;
    private readonly TimeProvider _time;
    private readonly EngineOptions _options;
    private readonly RunPolicy _policy;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory; // workers log under their own category
    private readonly FinishWriter? _finisher; // group commit of run endings (null: one transaction per run)
    private readonly ConnectorBudgets _budgets; // per integration: runs per credential at once, requests/s
    private readonly CredentialRateGates _rateGates; // this replica's token buckets per credential
    private readonly AccessTokenSources? _accessTokens; // OAuth credentials' access tokens (null: no OAuth connector can run)
    private readonly EngineMetrics _metrics; // grpcsync.* instruments

    private readonly Lock _gate = new();
    private readonly Dictionary<long, Task> _inFlight = []; // by worker number: one run may be worked twice (a stuck old attempt)
    private long _workerNumber;
    private readonly SemaphoreSlim _dispatchTurn = new(1, 1); // one dispatch round at a time, so slots are never over-claimed
    private readonly CancellationTokenSource _abandon = new(); // cancelled when shutdown stops waiting: workers release their runs
    private volatile bool _stopping;
    private volatile bool _moreDue; // the last round claimed all it asked for: more is probably due
    private int _waitingForSlot; // 1 while the loop waits for a worker to end
    private readonly SemaphoreSlim _slotFreed = new(0); // a stale release only causes one early extra round

    public SyncEngine(IEngineStore store, ConnectorRegistry connectors, ICredentialSecrets secrets, TimeProvider time,
        IOptions<EngineOptions> options, ILoggerFactory loggerFactory, ConnectorBudgets? budgets = null,
        AccessTokenSources? accessTokens = null, EngineMetrics? metrics = null)
    {
        _metrics = metrics ?? EngineMetrics.Shared;
        _accessTokens = accessTokens;
        _budgets = budgets ?? ConnectorBudgets.Default;
        _rateGates = new CredentialRateGates(_budgets, time);
        _store = store;
        _connectors = connectors;
        _secrets = secrets;
        _time = time;
        _options = options.Value;
        var problems = _options.Validate();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(EngineOptions.SectionName, typeof(EngineOptions), problems);
        }
        _policy = _options.ToRunPolicy();
        _logger = loggerFactory.CreateLogger<SyncEngine>();
        _loggerFactory = loggerFactory;
        _finisher = _options.FinishBatch > 1
            ? new FinishWriter(store, _options.FinishBatch, loggerFactory.CreateLogger<FinishWriter>())
            : null;
    }

    /// <summary>The lease owner written on the runs this engine claims.</summary>
    public string WorkerId => _options.WorkerId;

    /// <summary>Run endings queued for the next group commit (0 when <see cref="EngineOptions.FinishBatch"/> is 1).</summary>
    public int FinishesWaiting => _finisher?.Waiting ?? 0;

    /// <summary>Runs being worked on right now.</summary>
    public int InFlightCount
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>
    /// One dispatch round: claims up to the free worker slots' worth of due runs and starts a worker
    /// for each. Returns how many runs it started (0 once shutdown began).
    /// </summary>
    public async Task<int> DispatchOnceAsync(CancellationToken ct = default)
    {
        await _dispatchTurn.WaitAsync(ct);
        try
        {
            if (_stopping)
            {
                return 0;
            }
            var free = _options.MaxConcurrentRuns - InFlightCount;
            if (free <= 0)
            {
                return 0;
            }
            var now = _time.GetUtcNow();
            var asked = Math.Min(free, _options.DispatchBatch);
            var moved = 0; // candidates started, or held back by their credential's budget (so no candidate next round)
            var roundStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            var started = await _store.DispatchAsync(now, asked, _budgets.MaxRunsPerCredential, (snapshot, budget) =>
            {
                var change = RunRules.Dispatch(snapshot, now, _options.WorkerId, _policy, budget);
                if (change.Result is not null || change.NewSync is not null || change.RunsToInsert.Count > 0 || change.RunsToUpdate.Count > 0
                    || budget.IsFull) // already waiting for a slot: its credential is marked full again
                {
                    moved++;
                }
                return change;
            }, ct);
            _metrics.DispatchRound(started.Count, roundStarted);
            // Held-back candidates leave the candidate set (their run is due later, or their credential is marked
            // full), so a round that moved as many as it asked for is followed at once, like a full one: a backlog of
            // Syncs on busy credentials must not leave the rest to wait a poll interval per round.
            _moreDue = started.Count >= asked || moved >= asked;
            // One read for the round's credentials instead of one per run (RoundCredentials says why).
            var credentialIds = started.Select(s => s.Sync.CredentialId).OfType<Guid>().Distinct().ToArray();
            var credentials = credentialIds.Length > 0 ? RoundCredentials.Read(_store, credentialIds, _logger, _abandon.Token) : null;
            foreach (var (sync, run) in started)
            {
                StartWorker(sync, run, credentials);
            }
            return started.Count;
        }
        finally
        {
            _dispatchTurn.Release();
        }
    }

    /// <summary>Completes when no run is in flight (workers started meanwhile are waited for too).</summary>
    public async Task WhenIdleAsync(CancellationToken ct = default)
    {
        while (true)
        {
            Task[] running;
            lock (_gate)
            {
                running = [.. _inFlight.Values];
            }
            if (running.Length == 0)
            {
                return;
            }
            await Task.WhenAll(running).WaitAsync(ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogEngineStarted(_options.WorkerId, _options.MaxConcurrentRuns, _options.PollInterval);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DispatchOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The store may be briefly unreachable: try again next round.
                _moreDue = false; // after PollInterval, not in a tight loop
                LogDispatchFailed(e);
            }

            try
            {
                if (_moreDue && !_stopping)
                {
                    // A full round: claim the rest now rather than after PollInterval — as soon as a slot is free.
                    if (InFlightCount < _options.MaxConcurrentRuns)
                    {
                        await Task.Yield();
                        continue;
                    }
                    await WaitForSlotAsync(stoppingToken);
                    continue;
                }
                await Task.Delay(_options.PollInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Waits until a worker ends or PollInterval passes, whichever comes first.</summary>
    private async Task WaitForSlotAsync(CancellationToken stoppingToken)
    {
        Volatile.Write(ref _waitingForSlot, 1);
        if (InFlightCount < _options.MaxConcurrentRuns)
        {
            Volatile.Write(ref _waitingForSlot, 0);
            return; // one ended meanwhile
        }
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var slot = _slotFreed.WaitAsync(wait.Token);
        var poll = Task.Delay(_options.PollInterval, _time, wait.Token);
        await Task.WhenAny(slot, poll);
        await wait.CancelAsync();
        try { await Task.WhenAll(slot, poll); } catch (OperationCanceledException) { }
        Volatile.Write(ref _waitingForSlot, 0);
        stoppingToken.ThrowIfCancellationRequested();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true; // no new claims, also from a dispatch round already waiting for its turn
        await base.StopAsync(cancellationToken); // ends the loop

        var idle = WhenIdleAsync(CancellationToken.None);
        if (idle.IsCompleted)
        {
            LogEngineStopped(0);
            return;
        }

        using (var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // A cancelled host token ends the wait at once. Logged after the timer is armed, so a
            // test that sees the line may move a fake clock.
            var timeout = Task.Delay(_options.ShutdownTimeout, _time, stopTimer.Token);
            LogWaitingForRuns(InFlightCount, _options.ShutdownTimeout);
            var first = await Task.WhenAny(idle, timeout);
            await stopTimer.CancelAsync();
            if (first == idle)
            {
                LogEngineStopped(0);
                return;
            }
        }

        var abandoned = InFlightCount;
        LogReleasingRuns(abandoned);
        await _abandon.CancelAsync();
        try
        {
            await idle.WaitAsync(cancellationToken);
            LogEngineStopped(abandoned);
        }
        catch (OperationCanceledException)
        {
            // A connector that ignores cancellation: its run is claimed again when the lease expires.
            LogRunsDidNotStop(InFlightCount);
        }
    }

    public override void Dispose()
    {
        // Stragglers (a host that skipped StopAsync, a test) stop and release their runs.
        _abandon.Cancel();
        _finisher?.DisposeAsync().AsTask().GetAwaiter().GetResult(); // after the workers: they write through it
        base.Dispose();
    }

    private void StartWorker(Sync sync, SyncRun run, RoundCredentials? credentials)
    {
        var worker = new RunWorker(sync, run, _store, _connectors, _secrets, _time, _policy, _loggerFactory.CreateLogger<RunWorker>(), _finisher,
            _rateGates, _accessTokens, _metrics, credentials);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long number;
        lock (_gate)
        {
            number = ++_workerNumber;
            _inFlight.Add(number, done.Task);
        }
        // On the thread pool: a connector's synchronous stretches must not hold up the dispatcher.
        _ = Task.Run(async () =>
        {
            try
            {
                await worker.RunAsync(_abandon.Token);
            }
            catch (Exception e)
            {
                LogWorkerCrashed(e, sync.Id, run.Id);
            }
            finally
            {
                lock (_gate)
                {
                    _inFlight.Remove(number);
                }
                if (Interlocked.Exchange(ref _waitingForSlot, 0) == 1)
                {
                    _slotFreed.Release(); // the dispatcher waits for a free slot
                }
                done.SetResult(); // after the slot is free, so WhenIdleAsync callers can dispatch at once
            }
        }, CancellationToken.None);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Sync engine {WorkerId} started: up to {MaxConcurrentRuns} runs at once, polling every {PollInterval}")]
    private partial void LogEngineStarted(string workerId, int maxConcurrentRuns, TimeSpan pollInterval);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "A dispatch round failed; retrying at the next poll")]
    private partial void LogDispatchFailed(Exception e);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information,
        Message = "Sync engine stopping: waiting up to {Timeout} for {Count} in-flight runs")]
    private partial void LogWaitingForRuns(int count, TimeSpan timeout);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning,
        Message = "Shutdown timeout reached: cancelling {Count} in-flight runs; they are queued again")]
    private partial void LogReleasingRuns(int count);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Sync engine stopped ({Released} runs released)")]
    private partial void LogEngineStopped(int released);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning,
        Message = "{Count} runs did not stop in time; they are claimed again when their leases expire")]
    private partial void LogRunsDidNotStop(int count);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Critical, Message = "The worker of run {RunId} (Sync {SyncId}) crashed")]
    private partial void LogWorkerCrashed(Exception e, Guid syncId, Guid runId);
}
