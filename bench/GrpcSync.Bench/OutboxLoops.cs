using System.Diagnostics;
using GrpcSync.Domain;
using GrpcSync.Storage;
using GrpcSync.Storage.Sqlite;

namespace GrpcSync.Bench;

/// <summary>
/// Figure 4's outbox pair: what logging events costs a record page write, measured on two fresh stores that
/// differ only in <c>LogEvents</c>. Each task owns a Sync whose INCREMENTAL run is RUNNING and writes pages in
/// which every record changes, so each page logs one record_updated per record (the log's worst case).
/// </summary>
public static class OutboxLoops
{
    private static readonly Scope Owner = new(Plan.ProjectId, "outbox-bench");

    /// <summary>Lease long enough that no run is fenced during a figure.</summary>
    private static readonly RunPolicy LongLease = new() { Lease = TimeSpan.FromHours(6) };

    /// <summary>A migrated store on a fresh file with <paramref name="count"/> Syncs, each with a RUNNING INCREMENTAL run.</summary>
    public static async Task<(SqliteSyncStore Store, IReadOnlyList<SyncRun> Runs)> PrepareAsync(string file, bool logEvents, int count)
    {
        var store = new SqliteSyncStore($"Data Source={file}") { LogEvents = logEvents };
        await store.MigrateAsync();
        var now = DateTimeOffset.UtcNow.TruncateToMilliseconds();
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var credential = new Credential
            {
                Id = Guid.NewGuid(), ProjectId = Owner.ProjectId, UserId = Owner.UserId, Integration = "bench",
                DisplayName = "bench", ProtectedSecret = "-", CreatedAt = now,
            };
            await store.InsertCredentialAsync(credential);
            var (sync, initial) = SyncRules.Enable(Owner, "bench", "files", "outbox-" + i, "{}", credential.Id, null, now);
            await store.InsertSyncAsync(sync, initial);
            ids.Add(sync.Id);
        }
        // INITIAL runs log no record events: run them to success, then start the INCREMENTAL runs measured.
        foreach (var (_, run) in await store.DispatchAsync(now, count, s => RunRules.Dispatch(s, now, "bench", LongLease)))
        {
            await store.MutateSyncAsync(run.SyncId, s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.Succeeded(null), now, LongLease));
        }
        foreach (var id in ids)
        {
            await store.MutateSyncAsync(id, s => RunRules.Trigger(s, RunType.Incremental, now));
        }
        var runs = (await store.DispatchAsync(now, count, s => RunRules.Dispatch(s, now, "bench", LongLease))).Select(d => d.Run).ToList();
        if (runs.Count != count || runs.Any(r => r.Type != RunType.Incremental))
        {
            throw new BenchException($"The outbox loop expected {count} running INCREMENTAL runs, got {runs.Count}.");
        }
        return (store, runs);
    }

    /// <summary>One task per run, each writing pages of <paramref name="recordsPerPage"/> records that all change every page.</summary>
    public static async Task<LoadResult> PageWritesAsync(IEngineStore store, IReadOnlyList<SyncRun> runs, int recordsPerPage,
        TimeSpan warmup, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        var measureTo = warmup + duration;
        var perTask = await Task.WhenAll(runs.Select(run => Task.Run(async () =>
        {
            var latencies = new List<double>();
            for (var page = 0; clock.Elapsed < measureTo; page++)
            {
                var version = "v" + page;
                var upserts = Enumerable.Range(0, recordsPerPage).Select(r =>
                {
                    var externalId = "file-" + r;
                    return new RecordUpsert(NameBasedGuid.ForRecord(run.SyncId, externalId), externalId,
                        $$"""{"name":"{{externalId}}","version":"{{version}}"}""", externalId + "@" + version);
                }).ToList();
                var started = clock.Elapsed;
                var result = await store.WriteRecordPageAsync(new RecordPage(run.SyncId, run.Id, run.Attempt, upserts, false, null,
                    DateTimeOffset.UtcNow.TruncateToMilliseconds()));
                var ended = clock.Elapsed;
                if (result.Fenced)
                {
                    throw new BenchException($"Run {run.Id} was fenced during the outbox loop.");
                }
                if (started >= warmup && ended <= measureTo)
                {
                    latencies.Add((ended - started).TotalMilliseconds);
                }
            }
            return latencies;
        })));
        return LoadResult.FromLatencies(perTask.SelectMany(l => l).ToList(), duration.TotalSeconds, 0,
            $"in-process: {runs.Count} tasks × WriteRecordPageAsync({recordsPerPage} records, every one changed), one running INCREMENTAL run each");
    }
}
