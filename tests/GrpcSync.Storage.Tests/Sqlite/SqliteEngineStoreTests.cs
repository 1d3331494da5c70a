using GrpcSync.Domain;
using GrpcSync.Storage.Relational;
using GrpcSync.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace GrpcSync.Storage.Tests.Sqlite;

/// <summary>The engine and records contract on SQLite: a fresh database file per test.</summary>
public sealed class SqliteEngineStoreTests : EngineStoreContract
{
    protected override Task<IEngineTestDatabase> CreateEmptyDatabaseAsync() =>
        Task.FromResult<IEngineTestDatabase>(new SqliteEngineTestDatabase());

    [Fact]
    public void SqliteStore_IsAnEngineAndARecordStore()
    {
        using var store = new SqliteSyncStore("Data Source=unused.db");
        Assert.IsAssignableFrom<IEngineStore>(store);
        Assert.IsAssignableFrom<IRecordStore>(store);
    }

    // ---- The claimed rows the finish batch decides on (RelationalSyncStore.ClaimedRows) ----

    private RelationalSyncStore Relational => (RelationalSyncStore)Engine;

    /// <summary>A Sync past its INITIAL run, with its scheduled run claimed at a time that is not a whole millisecond.</summary>
    private async Task<SyncRun> ClaimScheduledRunAsync(string name = "default")
    {
        var (sync, _) = await InsertSyncAsync(Alice, name);
        var kept = Relational.ClaimedRowsKept;
        await FinishAsync(await StartRunAsync(sync.Id, T0), T0.AddSeconds(1));
        Assert.Equal(kept, Relational.ClaimedRowsKept); // the INITIAL run had a row of its own: nothing kept for it
        var run = await StartRunAsync(sync.Id, T0.AddMinutes(3).AddTicks(4_321));
        Assert.Equal(RunTrigger.Schedule, run.Trigger);
        Assert.Equal(kept + 1, Relational.ClaimedRowsKept);
        return run;
    }

    private Task<IReadOnlyList<SyncChange<FinishResult>?>> FinishInBatchAsync(SyncRun run, DateTimeOffset now) =>
        Engine.MutateSyncsAsync<FinishResult>(
            [(run.SyncId, s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.Succeeded(null), now, Policy))]);

    [Fact]
    public async Task AClaimedRow_IsKeptAsStored_AndTheFinishBatchEndsIt()
    {
        var run = await ClaimScheduledRunAsync();
        Assert.Equal(1, Relational.ClaimedRowsKept);
        Assert.Empty(await Relational.ClaimedRowsUnlikeStoredAsync()); // times in whole milliseconds, as read back

        var finished = Assert.Single(await FinishInBatchAsync(run, T0.AddMinutes(3).AddSeconds(1)));
        Assert.False(finished!.Result.Fenced);
        Assert.Equal(0, Relational.ClaimedRowsKept);
        var after = (await Engine.GetSyncAsync(run.SyncId))!;
        Assert.Empty(after.OpenRuns);
        Assert.Equal(SyncStatus.Idle, after.Sync.Status);
        Assert.Equal(finished.NewSync!.Version, after.Sync.Version);
    }

    [Fact]
    public async Task TheFinishBatch_DecidesOnTheKeptRow_SoAWriteBehindTheStoresBack_FailsIt_AndNothingIsWritten()
    {
        var run = await ClaimScheduledRunAsync();
        await Database.ExecuteAsync($"UPDATE syncs SET version = version + 1 WHERE id = '{run.SyncId:D}'"); // another process
        var before = (await Engine.GetSyncAsync(run.SyncId))!;

        await Assert.ThrowsAsync<InvalidOperationException>(() => FinishInBatchAsync(run, T0.AddMinutes(4)));
        Assert.Equal(0, Relational.ClaimedRowsKept);
        AssertSameSnapshot(before, await Engine.GetSyncAsync(run.SyncId));
        // Written alone (the finish writer's fallback), the end is decided on the row as stored.
        var alone = await Engine.MutateSyncAsync(run.SyncId,
            s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.Succeeded(null), T0.AddMinutes(4), Policy));
        Assert.False(alone!.Result.Fenced);
        Assert.Equal(before.Sync.Version + 1, (await Engine.GetSyncAsync(run.SyncId))!.Sync.Version);
    }

    [Fact]
    public async Task AWriteOfOneSync_ForgetsItsClaimedRow_AndAWriteThatMayTouchAny_ForgetsThemAll()
    {
        var run = await ClaimScheduledRunAsync("a");
        var other = await ClaimScheduledRunAsync("b");
        Assert.Equal(2, Relational.ClaimedRowsKept);

        Assert.True(await Engine.RenewLeaseAsync(run.SyncId, run.Id, run.Attempt, T0.AddMinutes(10)));
        Assert.Equal(1, Relational.ClaimedRowsKept);
        // So the batch reads that row again: a write behind the store's back no longer fails it.
        await Database.ExecuteAsync($"UPDATE syncs SET version = version + 1 WHERE id = '{run.SyncId:D}'");
        Assert.False(Assert.Single(await FinishInBatchAsync(run, T0.AddMinutes(4)))!.Result.Fenced);
        Assert.Empty((await Engine.GetSyncAsync(run.SyncId))!.OpenRuns);
        Assert.Empty(await Relational.ClaimedRowsUnlikeStoredAsync());

        // Retention may touch any Sync's runs: everything kept goes.
        Assert.Equal(1, Relational.ClaimedRowsKept);
        await ((IRunHistoryStore)Engine).TrimRunHistoryAsync(T0, after: null, max: 10);
        Assert.Equal(0, Relational.ClaimedRowsKept);
        Assert.False(Assert.Single(await FinishInBatchAsync(other, T0.AddMinutes(4)))!.Result.Fenced);
    }

    // ---- The candidates read before the write turn (ReadsCandidatesBeforeTheTurn) ----

    [Fact]
    public async Task ADispatchWithNothingDue_TakesNoWriteTurn()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        await FinishAsync(await StartRunAsync(sync.Id, T0), T0.AddSeconds(1));
        var sqlite = (SqliteSyncStore)Engine;
        IReadOnlyList<(Sync Sync, SyncRun Run)>? found = null;
        // While another write holds the turn, a round with nothing due still answers.
        await sqlite.ProbeConnectionAsync(write: true, meanwhile: async () =>
            found = await DispatchAsync(T0.AddSeconds(2)).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.NotNull(found);
        Assert.Empty(found);
    }

    [Fact]
    public async Task ACandidateReadBeforeTheTurn_IsDecidedOnWhatTheTurnSees_AHoldCommittedMeanwhileCounts()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        await FinishAsync(await StartRunAsync(sync.Id, T0), T0.AddSeconds(1));
        var at = T0.AddMinutes(3);
        var sqlite = (SqliteSyncStore)Engine;
        Task<IReadOnlyList<(Sync Sync, SyncRun Run)>>? round = null;
        await sqlite.ProbeConnectionAsync(write: true, meanwhile: async () =>
        {
            // Reads its candidate, then waits for the turn this probe holds.
            round = Engine.DispatchAsync(at, 100, _ => int.MaxValue, (s, budget) => RunRules.Dispatch(s, at, "worker-1", Policy, budget));
            await Task.Delay(500);
            Assert.False(round.IsCompleted);
            // Another writer (outside this store's turn) puts the Sync's credential on hold.
            await Database.ExecuteAsync(
                "INSERT INTO credential_budgets (credential_id, hold_until, hold_error) VALUES " +
                $"('{sync.CredentialId:D}', {at.AddMinutes(1).ToUnixTimeMilliseconds()}, 'throttled')");
        });
        Assert.Empty(await round!);
        var after = (await Engine.GetSyncAsync(sync.Id))!;
        Assert.Equal(SyncStatus.RateLimited, after.Sync.Status);
        Assert.Equal(RunHold.CredentialRateLimited, Assert.Single(after.OpenRuns).Hold);
    }

    private sealed class SqliteEngineTestDatabase : IEngineTestDatabase
    {
        private readonly string _directory;
        private readonly string _path;
        private readonly List<SqliteSyncStore> _stores = [];

        public SqliteEngineTestDatabase()
        {
            _directory = Path.Combine(Path.GetTempPath(), "grpcsync-sqlite-engine-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_directory);
            _path = Path.Combine(_directory, "grpcsync.db");
        }

        public IReadOnlyList<int> KnownMigrationVersions => SqliteMigrations.All.Select(m => m.Version).ToArray();

        public RelationalSyncStore OpenStore()
        {
            var store = new SqliteSyncStore($"Data Source={_path}");
            _stores.Add(store);
            return store;
        }

        public async Task CreateSchemaAsync(int version)
        {
            var sql = SqliteMigrations.SchemaMigrationsTable + string.Concat(SqliteMigrations.All
                .Where(m => m.Version <= version)
                .Select(m => m.Sql + $"\nINSERT INTO schema_migrations (version, applied_at) VALUES ({m.Version}, 0);\n"));
            await ExecuteAsync(sql);
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var tx = connection.BeginTransaction();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        public async Task<IReadOnlyList<long>> QueryLongsAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            var values = new List<long>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                values.Add(reader.GetInt64(0));
            }
            return values;
        }

        private async Task<SqliteConnection> OpenAsync()
        {
            var connection = new SqliteConnection($"Data Source={_path};Pooling=False;Default Timeout=30");
            await connection.OpenAsync();
            return connection;
        }

        public ValueTask DisposeAsync()
        {
            foreach (var store in _stores)
            {
                store.Dispose();
            }
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
            return ValueTask.CompletedTask;
        }
    }
}
