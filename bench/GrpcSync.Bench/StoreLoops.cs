using System.Diagnostics;
using GrpcSync.Domain;
using GrpcSync.Storage;
using Microsoft.Data.Sqlite;

namespace GrpcSync.Bench;

/// <summary>
/// Figure 4, in-process (no HTTP, no auth, no serialisation): how fast the store itself commits the
/// single-row update that a PATCH makes, and how fast raw Microsoft.Data.Sqlite does the same UPDATE.
/// </summary>
public static class StoreLoops
{
    private static readonly string[] Alternating = ["10m", "30m"];

    /// <summary>
    /// <paramref name="tasks"/> concurrent tasks, each on its own Sync, each running
    /// MutateSyncAsync(SyncRules.Update) in a loop: alternating frequencies (every call writes) or the
    /// same frequency (after the first call it changes nothing, like the fixed-value PATCH figures).
    /// </summary>
    public static async Task<LoadResult> MutateAsync(ISyncStore store, IReadOnlyList<(Scope Scope, Guid Id)> syncs, int tasks,
        bool alternate, TimeSpan warmup, TimeSpan duration)
    {
        if (syncs.Count < tasks)
        {
            throw new BenchException($"The store loop needs {tasks} Syncs, the data set has {syncs.Count}.");
        }
        var clock = Stopwatch.StartNew();
        var measureFrom = warmup;
        var measureTo = warmup + duration;
        var perTask = await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            var (scope, id) = syncs[t];
            var latencies = new List<double>();
            for (var i = 0; clock.Elapsed < measureTo; i++)
            {
                var frequency = alternate ? Alternating[i % 2] : "5m";
                var command = new UpdateSyncCommand(null, frequency, null);
                var started = clock.Elapsed;
                _ = await store.MutateSyncAsync(scope, id, s => SyncRules.Update(s, command, DateTimeOffset.UtcNow.TruncateToMilliseconds()))
                    ?? throw new BenchException($"Sync {id} not found in the store loop.");
                var ended = clock.Elapsed;
                if (started >= measureFrom && ended <= measureTo)
                {
                    latencies.Add((ended - started).TotalMilliseconds);
                }
            }
            return latencies;
        })));
        return LoadResult.FromLatencies(perTask.SelectMany(l => l).ToList(), duration.TotalSeconds, 0,
            $"in-process: {tasks} tasks × MutateSyncAsync(SyncRules.Update, {(alternate ? "alternating 10m/30m" : "always 5m")}), one Sync each");
    }

    /// <summary>
    /// The raw limit: one connection, one thread, BEGIN IMMEDIATE; UPDATE one Sync row; COMMIT, rotating
    /// over <paramref name="syncIds"/> with alternating values, at the given <c>synchronous</c> level (WAL mode).
    /// </summary>
    public static LoadResult RawSqlite(string databaseFile, IReadOnlyList<Guid> syncIds, string synchronous, TimeSpan warmup, TimeSpan duration)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databaseFile, Pooling = false }.ToString());
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA busy_timeout = 5000;";
            setup.ExecuteNonQuery();
            setup.CommandText = "PRAGMA journal_mode;";
            var mode = (string?)setup.ExecuteScalar();
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new BenchException($"The raw loop's database is not in WAL mode ({mode}).");
            }
        }
        using var update = connection.CreateCommand();
        update.CommandText = "UPDATE syncs SET frequency = $frequency, version = version + 1, updated_at = $now WHERE id = $id";
        var frequency = update.Parameters.Add("$frequency", SqliteType.Text);
        var now = update.Parameters.Add("$now", SqliteType.Integer);
        var id = update.Parameters.Add("$id", SqliteType.Text);
        var ids = syncIds.Select(i => i.ToString("D")).ToArray();

        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        var measureTo = warmup + duration;
        for (var i = 0; clock.Elapsed < measureTo; i++)
        {
            var started = clock.Elapsed;
            using (var tx = connection.BeginTransaction(deferred: false)) // BEGIN IMMEDIATE, as the store does
            {
                update.Transaction = tx;
                frequency.Value = Alternating[(i / ids.Length) % 2];
                now.Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                id.Value = ids[i % ids.Length];
                if (update.ExecuteNonQuery() != 1)
                {
                    throw new BenchException($"The raw UPDATE changed no row for Sync {ids[i % ids.Length]}.");
                }
                tx.Commit();
            }
            var ended = clock.Elapsed;
            if (started >= warmup && ended <= measureTo)
            {
                latencies.Add((ended - started).TotalMilliseconds);
            }
        }
        return LoadResult.FromLatencies(latencies, duration.TotalSeconds, 0,
            $"in-process: 1 connection, BEGIN IMMEDIATE; UPDATE syncs SET frequency, version, updated_at WHERE id; COMMIT (WAL, synchronous={synchronous})");
    }
}
