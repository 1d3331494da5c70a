using System.Text.Json;
using GrpcSync.Domain;
using GrpcSync.Connectors;
using GrpcSync.Engine.Budgets;
using GrpcSync.Engine.Credentials;
using GrpcSync.Engine.Telemetry;
using GrpcSync.Storage;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Engine.Running;

/// <summary>
/// Works one claimed run of one Sync: reads the source through its connector, writes each page of
/// records (fenced by the run's attempt), keeps the lease alive, and reports how the run ended
/// through <see cref="RunRules.Finish"/>. A worker that lost its run (cancelled, disabled or
/// reclaimed) stops without writing anything more.
/// </summary>
internal sealed partial class RunWorker
{
    private readonly Sync _sync;
    private readonly SyncRun _run;
    private readonly IEngineStore _store;
    private readonly ConnectorRegistry _connectors;
    private readonly ICredentialSecrets _secrets;
    private readonly TimeProvider _time;
    private readonly RunPolicy _policy;
    private readonly FinishWriter? _finisher;
    private readonly CredentialRateGates? _rateGates;
    private readonly AccessTokenSources? _accessTokens;
    private readonly ILogger _logger;
    private readonly EngineMetrics _metrics;
    private readonly RoundCredentials? _credentials; // the dispatch round's read of its runs' credentials (null: read our own)

    private int _leaseLost; // 1 once RenewLeaseAsync said the run is no longer ours
    private int _pages;
    private long _seen;
    private long _created;
    private long _updated;
    private long _deleted;

    public RunWorker(Sync sync, SyncRun run, IEngineStore store, ConnectorRegistry connectors, ICredentialSecrets secrets,
        TimeProvider time, RunPolicy policy, ILogger logger, FinishWriter? finisher = null, CredentialRateGates? rateGates = null,
        AccessTokenSources? accessTokens = null, EngineMetrics? metrics = null, RoundCredentials? credentials = null)
    {
        _credentials = credentials;
        _metrics = metrics ?? EngineMetrics.Shared;
        _accessTokens = accessTokens;
        _finisher = finisher;
        _rateGates = rateGates;
        _sync = sync;
        _run = run;
        _store = store;
        _connectors = connectors;
        _secrets = secrets;
        _time = time;
        _policy = policy;
        _logger = logger;
    }

    private bool LeaseLost => Volatile.Read(ref _leaseLost) == 1;

    /// <summary>A scheduled INCREMENTAL run: its start and a no-change end are logged at Debug (<see cref="SyncEvents.AnnouncesStart"/>).</summary>
    private bool Quiet => !SyncEvents.AnnouncesStart(_run);

    /// <summary>
    /// Runs to the end. <paramref name="shutdown"/> is cancelled when the engine stops waiting for
    /// in-flight runs: the run is then released (queued again, due now) instead of left to its lease.
    /// Never throws.
    /// </summary>
    public async Task RunAsync(CancellationToken shutdown)
    {
        var startedAt = _time.GetTimestamp();
        // Every line of this run (the connector's too) carries its ids; the span is its trace.
        using var scope = _logger.BeginScope(new RunLogScope(_sync.Id, _run.Id, _run.Attempt));
        using var activity = EngineTracing.StartRun(_sync, _run);
        _metrics.RunStarted(_sync, _run);
        LogRunStarted(Quiet ? LogLevel.Debug : LogLevel.Information, _sync.Id, _run.Id, _run.Type, _run.Trigger, _run.Attempt,
            _sync.Integration, _sync.Pipeline);

        using var work = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        using var stopRenewing = new CancellationTokenSource();
        // Started before any source call, so its timer runs from the claim (tests on fake time rely on it).
        using var renewalTimer = new PeriodicTimer(_policy.Lease / 3, _time);
        var renewal = RenewLeaseUntilStoppedAsync(renewalTimer, work, stopRenewing.Token);

        RunOutcome? outcome; // null: the run is no longer ours, so nothing is reported
        try
        {
            outcome = await ExecuteAsync(work.Token);
        }
        catch (Exception e)
        {
            outcome = Classify(e, shutdown);
        }
        finally
        {
            // Disposing the timer ends its wait with false; a cancelled wait would throw, one exception per run
            // (about a tenth of the engine's CPU at 1,000 runs/s). The token only stops a renewal in flight.
            renewalTimer.Dispose();
            await stopRenewing.CancelAsync();
            await renewal;
        }

        if (LeaseLost)
        {
            outcome = null;
        }

        var duration = _time.GetElapsedTime(startedAt);
        if (outcome is null)
        {
            _metrics.RunFinished(_sync, _run, TelemetryNames.Outcomes.Abandoned, duration);
            EngineTracing.Finished(activity, TelemetryNames.Outcomes.Abandoned, _pages, _seen);
            LogRunAbandoned(_sync.Id, _run.Id, _run.Type, _run.Attempt, (long)duration.TotalMilliseconds, _pages, _seen, _created, _updated, _deleted);
            return;
        }

        var fenced = !await FinishAsync(outcome);
        var ended = fenced ? TelemetryNames.Outcomes.NotRecorded : TelemetryNames.Of(outcome);
        _metrics.RunFinished(_sync, _run, ended, duration);
        EngineTracing.Finished(activity, ended, _pages, _seen);
        // A quiet run that changed nothing is as quiet in the log as in the event log (two lines a minute per Sync otherwise).
        var level = Quiet && outcome is RunOutcome.Succeeded && _created + _updated + _deleted == 0 ? LogLevel.Debug : LogLevel.Information;
        LogRunFinished(level, _sync.Id, _run.Id, _run.Type, _run.Attempt, Describe(outcome), fenced, (long)duration.TotalMilliseconds,
            _pages, _seen, _created, _updated, _deleted);
    }

    // ---------------------------------------------------------------- the run itself

    /// <summary>The run's work; null when a page write was fenced (the run is no longer ours).</summary>
    private async Task<RunOutcome?> ExecuteAsync(CancellationToken ct)
    {
        if (_sync.CredentialId is not { } credentialId)
        {
            return new RunOutcome.PermanentFailure("The Sync has no credential bound.");
        }
        var credential = _credentials is not null
            ? await _credentials.GetAsync(credentialId, ct)
            : await _store.GetCredentialAsync(credentialId, ct);
        // A credential of another user is as good as gone: it must never be used for this Sync.
        if (credential is null || credential.ProjectId != _sync.ProjectId || credential.UserId != _sync.UserId)
        {
            return await CredentialGoneAsync(credentialId, ct);
        }
        if (credential.InvalidAt is not null)
        {
            // Rejected by the source for good (OAuth invalid_grant): only a new credential helps.
            return new RunOutcome.PermanentFailure(SyncRules.CredentialRejectedReason, SyncEvents.CredentialRejectedCode);
        }
        if (!_connectors.TryGet(_sync.Integration, out var connector))
        {
            return new RunOutcome.PermanentFailure($"Integration '{_sync.Integration}' is not available on this server.");
        }
        if (!connector.Pipelines.Contains(_sync.Pipeline))
        {
            return new RunOutcome.PermanentFailure(
                $"Pipeline '{_sync.Pipeline}' of integration '{_sync.Integration}' is not available on this server.");
        }

        JsonDocument configuration;
        try
        {
            configuration = JsonDocument.Parse(_sync.ConfigurationJson);
        }
        catch (JsonException)
        {
            return new RunOutcome.PermanentFailure("The Sync's configuration is not valid JSON.");
        }

        using (configuration)
        {
            var context = new SourceContext(_sync.Pipeline, configuration.RootElement, _secrets.Reveal(credential.ProtectedSecret))
            {
                Requests = _rateGates?.For(credential.Id, _sync.Integration) ?? RequestGate.Unlimited,
                Known = new StoredRecords(_store, _sync.Id),
                AccessTokens = _accessTokens?.For(connector, credential.Id, $"{_run.LeaseOwner ?? "engine"}/{_run.Id}/{_run.Attempt}"),
            };
            return _run.Type == RunType.Incremental
                ? await IncrementalAsync(connector, context, ct)
                : await EnumerateAllAsync(connector, context, ct);
        }
    }

    /// <summary>
    /// INITIAL and FULL: every record the source has, then one reconcile write that turns the Sync's
    /// records this run did not see into tombstones (deleted, or invisible to a new account).
    /// </summary>
    private async Task<RunOutcome?> EnumerateAllAsync(IConnector connector, SourceContext context, CancellationToken ct)
    {
        string? cursor = null;
        await foreach (var page in EngineTracing.Traced(connector.EnumerateAsync(context, ct), EngineTracing.EnumerateSpan, ct).WithCancellation(ct))
        {
            cursor = page.Cursor ?? cursor;
            if (!await WritePageAsync(page.Records, reconcile: false, page.Cursor, ct))
            {
                return null;
            }
        }
        if (!await WritePageAsync([], reconcile: true, cursor, ct))
        {
            return null;
        }
        return new RunOutcome.Succeeded(cursor);
    }

    /// <summary>
    /// INCREMENTAL: changes since the stored cursor. Deletions a page reports (a change feed's removals) become
    /// tombstones with that page; a connector without a feed reports none, and those wait for the next FULL run.
    /// </summary>
    private async Task<RunOutcome?> IncrementalAsync(IConnector connector, SourceContext context, CancellationToken ct)
    {
        string? cursor = null;
        await foreach (var page in EngineTracing.Traced(connector.ChangesSinceAsync(context, _sync.SourceCursor, ct), EngineTracing.ChangesSpan, ct).WithCancellation(ct))
        {
            cursor = page.Cursor ?? cursor;
            if (page.Records.Count == 0 && page.Deleted.Count == 0 && page.Cursor is null)
            {
                continue; // nothing to store
            }
            if (!await WritePageAsync(page.Records, reconcile: false, page.Cursor, ct, page.Deleted))
            {
                return null;
            }
        }
        return new RunOutcome.Succeeded(cursor);
    }

    /// <summary>
    /// Stores one page with its source cursor in one fenced transaction, so a crash resumes after the
    /// last stored page. False when fenced.
    /// </summary>
    private async Task<bool> WritePageAsync(IReadOnlyList<SourceRecord> records, bool reconcile, string? cursor, CancellationToken ct,
        IReadOnlyList<string>? deleted = null)
    {
        var upserts = new List<RecordUpsert>(records.Count);
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var upsert = new RecordUpsert(NameBasedGuid.ForRecord(_sync.Id, record.ExternalId), record.ExternalId,
                record.Fields.ToJsonString(), record.Fingerprint);
            // A source that repeats an id within a page: the last one wins (one row per record).
            if (positions.TryGetValue(record.ExternalId, out var at))
            {
                upserts[at] = upsert;
            }
            else
            {
                positions.Add(record.ExternalId, upserts.Count);
                upserts.Add(upsert);
            }
        }

        using var span = EngineTracing.StartPage(upserts.Count, reconcile);
        var result = await _store.WriteRecordPageAsync(
            new RecordPage(_sync.Id, _run.Id, _run.Attempt, upserts, reconcile, cursor, _time.GetUtcNow())
            {
                // An id both changed and deleted in one page: the change wins (it is what the source has now).
                Deletions = deleted is { Count: > 0 } ? [.. deleted.Where(id => !positions.ContainsKey(id))] : [],
            }, ct);
        EngineTracing.PageWritten(span, result.Fenced, result.Created, result.Updated, result.Deleted);
        if (result.Fenced)
        {
            LogPageFenced(_sync.Id, _run.Id, _run.Attempt);
            return false;
        }
        _pages++;
        _seen += upserts.Count;
        _created += result.Created;
        _updated += result.Updated;
        _deleted += result.Deleted;
        _metrics.RecordsWritten(_sync.Integration, result.Created, result.Updated, result.Deleted);
        return true;
    }

    /// <summary>
    /// The bound credential is gone. If the Sync was rebound meanwhile, the run is released to start
    /// again with the new credential; otherwise the Sync cannot go on without a person.
    /// </summary>
    private async Task<RunOutcome?> CredentialGoneAsync(Guid credentialId, CancellationToken ct)
    {
        var current = await _store.GetSyncAsync(_sync.Id, ct);
        if (current is null)
        {
            return null; // the Sync was deleted with its runs
        }
        if (current.Sync.CredentialId is { } bound && bound != credentialId)
        {
            return new RunOutcome.Released();
        }
        return new RunOutcome.PermanentFailure(SyncRules.CredentialGoneReason(credentialId));
    }

    private RunOutcome? Classify(Exception e, CancellationToken shutdown)
    {
        if (LeaseLost)
        {
            return null; // whatever the source threw, it was because we cancelled it
        }
        if (shutdown.IsCancellationRequested)
        {
            return new RunOutcome.Released();
        }
        switch (e)
        {
            case RateLimitedSourceException limited:
                return new RunOutcome.RateLimited(limited.RetryAfter > TimeSpan.Zero ? limited.RetryAfter : TimeSpan.Zero, limited.Message);
            case PermanentSourceException permanent:
                return new RunOutcome.PermanentFailure(permanent.Message, permanent.Code);
            case TransientSourceException or IOException or TimeoutException:
                return new RunOutcome.TransientFailure(e.Message);
            case OperationCanceledException:
                // Not our cancellation (e.g. an HTTP client's own timeout): may pass.
                return new RunOutcome.TransientFailure("The source operation was cancelled: " + e.Message);
            default:
                LogUnexpectedFailure(e, _sync.Id, _run.Id, _run.Attempt);
                return new RunOutcome.TransientFailure($"Unexpected error ({e.GetType().Name}): {e.Message}");
        }
    }

    /// <summary>Reports the outcome; false when fenced (the run was no longer ours) or it could not be written.</summary>
    private async Task<bool> FinishAsync(RunOutcome outcome)
    {
        using var span = EngineTracing.StartFinish();
        try
        {
            var now = _time.GetUtcNow();
            // Not cancellable: a run released at shutdown must still be written.
            Func<SyncSnapshot, SyncChange<FinishResult>> decide = s => RunRules.Finish(s, _run.Id, _run.Attempt, outcome, now, _policy,
                new RunCounts(_created, _updated, _deleted));
            var change = _finisher is not null
                ? await _finisher.FinishAsync(_sync.Id, decide)
                : await _store.MutateSyncAsync(_sync.Id, decide, CancellationToken.None);
            return change is { Result.Fenced: false };
        }
        catch (Exception e)
        {
            // The lease expires and another dispatch round claims the run again.
            LogFinishFailed(e, _sync.Id, _run.Id, _run.Attempt);
            return false;
        }
    }

    /// <summary>
    /// Renews the lease at every tick of <paramref name="timer"/> (a third of the lease) until the timer is disposed.
    /// When the store says the run is no longer ours (cancelled, disabled, reclaimed), the work is cancelled. A failed
    /// renewal is retried at the next tick: the lease outlasts two of them. <paramref name="stop"/> cancels a renewal in flight.
    /// </summary>
    private async Task RenewLeaseUntilStoppedAsync(PeriodicTimer timer, CancellationTokenSource work, CancellationToken stop)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(CancellationToken.None))
            {
                bool renewed;
                try
                {
                    renewed = await _store.RenewLeaseAsync(_run.SyncId, _run.Id, _run.Attempt, _time.GetUtcNow() + _policy.Lease, stop);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    LogRenewalFailed(e, _sync.Id, _run.Id, _run.Attempt);
                    continue;
                }
                if (!renewed)
                {
                    Volatile.Write(ref _leaseLost, 1);
                    _metrics.LeaseLost(_sync.Integration);
                    LogLeaseLost(_sync.Id, _run.Id, _run.Attempt);
                    await work.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run ended while a renewal was in flight.
        }
    }

    private static string Describe(RunOutcome outcome) => outcome switch
    {
        RunOutcome.Succeeded => "succeeded",
        RunOutcome.TransientFailure f => "transient failure: " + f.Error,
        RunOutcome.RateLimited r => $"rate limited for {r.Backoff}: {r.Error}",
        RunOutcome.PermanentFailure p => "permanent failure: " + p.Reason,
        RunOutcome.Released => "released",
        _ => outcome.GetType().Name,
    };

    // ---------------------------------------------------------------- logs (ids, counts and reasons only; never secrets)

    [LoggerMessage(EventId = 2001,
        Message = "Run {RunId} of Sync {SyncId} started: {RunType} ({Trigger}), attempt {Attempt}, {Integration}/{Pipeline}")]
    private partial void LogRunStarted(LogLevel level, Guid syncId, Guid runId, RunType runType, RunTrigger trigger, int attempt, string integration, string pipeline);

    [LoggerMessage(EventId = 2002,
        Message = "Run {RunId} of Sync {SyncId} ({RunType}, attempt {Attempt}) finished: {Outcome}{FencedNote} after {DurationMs} ms; " +
                  "{Pages} pages, {Seen} records seen, {Created} created, {Updated} updated, {Deleted} deleted")]
    private partial void LogRunFinishedCore(LogLevel level, Guid syncId, Guid runId, RunType runType, int attempt, string outcome, string fencedNote,
        long durationMs, int pages, long seen, long created, long updated, long deleted);

    private void LogRunFinished(LogLevel level, Guid syncId, Guid runId, RunType runType, int attempt, string outcome, bool fenced,
        long durationMs, int pages, long seen, long created, long updated, long deleted) =>
        LogRunFinishedCore(level, syncId, runId, runType, attempt, outcome, fenced ? " (not recorded: the run was no longer this worker's)" : "",
            durationMs, pages, seen, created, updated, deleted);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning,
        Message = "Run {RunId} of Sync {SyncId} ({RunType}, attempt {Attempt}) stopped: it was cancelled, disabled or claimed again; " +
                  "{DurationMs} ms, {Pages} pages, {Seen} records seen, {Created} created, {Updated} updated, {Deleted} deleted")]
    private partial void LogRunAbandoned(Guid syncId, Guid runId, RunType runType, int attempt, long durationMs,
        int pages, long seen, long created, long updated, long deleted);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information,
        Message = "Page write of run {RunId} (Sync {SyncId}, attempt {Attempt}) was fenced: the run is no longer this worker's")]
    private partial void LogPageFenced(Guid syncId, Guid runId, int attempt);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information,
        Message = "Lease of run {RunId} (Sync {SyncId}, attempt {Attempt}) was refused: stopping the worker")]
    private partial void LogLeaseLost(Guid syncId, Guid runId, int attempt);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning,
        Message = "Renewing the lease of run {RunId} (Sync {SyncId}, attempt {Attempt}) failed; retrying at the next tick")]
    private partial void LogRenewalFailed(Exception e, Guid syncId, Guid runId, int attempt);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Error,
        Message = "Run {RunId} (Sync {SyncId}, attempt {Attempt}) failed unexpectedly; it will be retried")]
    private partial void LogUnexpectedFailure(Exception e, Guid syncId, Guid runId, int attempt);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error,
        Message = "Recording the end of run {RunId} (Sync {SyncId}, attempt {Attempt}) failed; it is claimed again when its lease expires")]
    private partial void LogFinishFailed(Exception e, Guid syncId, Guid runId, int attempt);
}
