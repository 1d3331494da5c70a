using System.Diagnostics;
using System.Globalization;
using GrpcSync.Domain;
using GrpcSync.Storage;

namespace GrpcSync.SchedulerBench;

/// <summary>
/// A pass-through <see cref="IEngineStore"/> around the real store (SQLite or PostgreSQL): every call goes
/// to it unchanged. It wraps the dispatcher's decision (<see cref="RunRules.Dispatch"/>, passed in by
/// <c>SyncEngine</c>) only to read the Sync's <c>next_run_at</c> before the decision moves it, and counts
/// calls and time per store method (time includes waiting for SQLite's single writer).
/// </summary>
internal sealed class MeasuringEngineStore(IEngineStore inner, Recorder recorder) : IEngineStore
{
    public readonly CallStats Dispatch = new();
    public readonly CallStats Renew = new();
    public readonly CallStats Mutate = new();
    public readonly CallStats GetSync = new();
    public readonly CallStats GetCredential = new();
    public readonly CallStats GetCredentials = new(); // one per dispatch round (RoundCredentials)
    public readonly CallStats WritePage = new();
    private long _dispatchedRuns;

    /// <summary>
    /// Scheduled runs a credential's budget held back (inserted QUEUED instead of started), with the time the bench
    /// planned them: their start, rounds later, is still that Sync's scheduled run and counts as such.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, DateTimeOffset?> _heldScheduled = new();
    private long _fullRounds;

    public long DispatchedRuns => Interlocked.Read(ref _dispatchedRuns);

    /// <summary>Rounds that came back with as many runs as they asked for (more work was probably due).</summary>
    public long FullRounds => Interlocked.Read(ref _fullRounds);

    public async Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max,
        Func<string, int> maxRunsPerCredential, Func<SyncSnapshot, CredentialBudget, SyncChange<SyncRun?>> decide,
        CancellationToken ct = default)
    {
        // The decision may run more than once per Sync only if the store retried; keep the last answer.
        var planned = new Dictionary<Guid, DateTimeOffset?>();
        SyncChange<SyncRun?> Decide(SyncSnapshot snapshot, CredentialBudget budget)
        {
            var change = decide(snapshot, budget);
            if (change.Result is { } run)
            {
                var scheduled = change.RunsToInsert.Count == 1 && ReferenceEquals(change.RunsToInsert[0], run)
                                && run.Trigger is RunTrigger.Schedule or RunTrigger.Periodic;
                planned[run.Id] = scheduled ? snapshot.Sync.NextRunAt
                    : _heldScheduled.TryRemove(run.Id, out var heldAt) ? heldAt : null;
            }
            else if (change.RunsToInsert is [{ Hold: not null, Trigger: RunTrigger.Schedule or RunTrigger.Periodic } held])
            {
                _heldScheduled[held.Id] = snapshot.Sync.NextRunAt;
            }
            return change;
        }

        var started = Stopwatch.GetTimestamp();
        var result = await inner.DispatchAsync(now, max, maxRunsPerCredential, Decide, ct);
        Dispatch.Add(started);
        var committed = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Interlocked.Add(ref _dispatchedRuns, result.Count);
        if (result.Count >= max)
        {
            Interlocked.Increment(ref _fullRounds);
        }
        foreach (var (sync, run) in result)
        {
            recorder.OnClaimed(IndexOf(sync), run, planned.GetValueOrDefault(run.Id), committed);
        }
        return result;
    }

    public async Task<bool> RenewLeaseAsync(Guid syncId, Guid runId, int attempt, DateTimeOffset leaseExpiresAt, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try { return await inner.RenewLeaseAsync(syncId, runId, attempt, leaseExpiresAt, ct); }
        finally { Renew.Add(started); }
    }

    public async Task<SyncChange<T>?> MutateSyncAsync<T>(Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try { return await inner.MutateSyncAsync(syncId, decide, ct); }
        finally { Mutate.Add(started); }
    }

    public readonly CallStats MutateBatch = new();

    public async Task<IReadOnlyList<SyncChange<T>?>> MutateSyncsAsync<T>(
        IReadOnlyList<(Guid SyncId, Func<SyncSnapshot, SyncChange<T>> Decide)> mutations, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try { return await inner.MutateSyncsAsync(mutations, ct); }
        finally { MutateBatch.Add(started); }
    }

    public async Task<SyncSnapshot?> GetSyncAsync(Guid syncId, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try { return await inner.GetSyncAsync(syncId, ct); }
        finally { GetSync.Add(started); }
    }

    public async Task<Credential?> GetCredentialAsync(Guid credentialId, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try { return await inner.GetCredentialAsync(credentialId, ct); }
        finally { GetCredential.Add(started); }
    }

    public async Task<IReadOnlyDictionary<Guid, Credential>> GetCredentialsAsync(IReadOnlyCollection<Guid> credentialIds,
        CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try { return await inner.GetCredentialsAsync(credentialIds, ct); }
        finally { GetCredentials.Add(started); }
    }

    public Task<IReadOnlyDictionary<string, string>> ReadLiveFingerprintsAsync(Guid syncId, IReadOnlyCollection<string> externalIds,
        CancellationToken ct = default) => inner.ReadLiveFingerprintsAsync(syncId, externalIds, ct);

    public async Task<RecordPageResult> WriteRecordPageAsync(RecordPage page, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try { return await inner.WriteRecordPageAsync(page, ct); }
        finally { WritePage.Add(started); }
    }

    /// <summary>The bench index of a seeded Sync (its configuration name is "c{index}"); -1 otherwise.</summary>
    public static int IndexOf(Sync sync) =>
        sync.ConfigurationName.Length > 1 && sync.ConfigurationName[0] == 'c'
        && int.TryParse(sync.ConfigurationName.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : -1;
}

/// <summary>Calls and their total wall time (ticks), thread-safe.</summary>
internal sealed class CallStats
{
    private long _calls;
    private long _ticks;

    public long Calls => Interlocked.Read(ref _calls);

    public double TotalMs => Interlocked.Read(ref _ticks) * 1000.0 / Stopwatch.Frequency;

    public void Add(long startedTimestamp)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - startedTimestamp);
    }

    public (long Calls, double TotalMs) Snapshot() => (Calls, TotalMs);
}
