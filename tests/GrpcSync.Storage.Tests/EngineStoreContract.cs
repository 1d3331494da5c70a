using GrpcSync.Domain;
using GrpcSync.Storage.Relational;

namespace GrpcSync.Storage.Tests;

/// <summary>
/// What every store must do for the engine (<see cref="IEngineStore"/>) and for pulling records
/// (<see cref="IRecordStore"/>). Each implementation derives a class that makes an empty database per
/// test. The dispatcher's decisions are the real <see cref="RunRules"/>. Times are whole milliseconds.
/// </summary>
public abstract partial class EngineStoreContract : IAsyncLifetime
{
    protected static readonly Scope Alice = new("project-1", "alice");
    protected static readonly Scope Bob = new("project-1", "bob");
    protected static readonly Scope AliceInOtherProject = new("project-2", "alice");

    /// <summary>2026-01-01T00:00:00.123Z.</summary>
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);

    /// <summary>The production defaults: 30 s leases, a FULL re-sync every 24 h.</summary>
    protected static readonly RunPolicy Policy = new();

    private readonly List<IEngineTestDatabase> _databases = [];
    private IEngineTestDatabase? _database;
    private RelationalSyncStore? _store;

    protected IEngineTestDatabase Database => _database ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>This test's store, on a migrated database of its own, seen as the API sees it.</summary>
    protected ISyncStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>The same store, seen as the engine sees it.</summary>
    protected IEngineStore Engine => _store ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>The same store, seen as record readers see it.</summary>
    protected IRecordStore Records => _store ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>Makes an empty database (no schema) for this test.</summary>
    protected abstract Task<IEngineTestDatabase> CreateEmptyDatabaseAsync();

    public async Task InitializeAsync()
    {
        _database = await NewDatabaseAsync();
        _store = _database.OpenStore();
        await _store.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }

    protected async Task<IEngineTestDatabase> NewDatabaseAsync()
    {
        var database = await CreateEmptyDatabaseAsync();
        _databases.Add(database);
        return database;
    }

    // ================= Schema =================

    [Fact]
    public async Task Migrate_FromVersion1_KeepsTheDataAndAddsTheEngineColumns()
    {
        var database = await NewDatabaseAsync();
        await database.CreateSchemaAsync(1);
        var credential = NewCredential(Alice, T0);
        var sync = new Sync
        {
            Id = Guid.NewGuid(),
            ProjectId = Alice.ProjectId,
            UserId = Alice.UserId,
            Integration = "hubspot",
            Pipeline = "contacts",
            ConfigurationName = "default",
            ConfigurationJson = """{"region":"eu"}""",
            CredentialId = credential.Id,
            Frequency = "5m",
            Status = SyncStatus.Active,
            NextRunAt = T0.AddMinutes(5),
            LastRunStartedAt = T0,
            LastSyncedAt = T0.AddMinutes(-5),
            TotalRecords = 0,
            SyncedRecordsCount = 0,
            Version = 4,
            Incarnation = T0.AddDays(-1).ToUnixTimeMilliseconds(), // migration 3 names an existing life by its creation
            CreatedAt = T0.AddDays(-1),
            UpdatedAt = T0,
        };
        var running = NewRun(sync.Id, T0) with { State = RunState.Running, StartedAt = T0, Attempt = 1 };
        var done = NewRun(sync.Id, T0.AddMinutes(-6)) with
        {
            State = RunState.Succeeded, StartedAt = T0.AddMinutes(-6), FinishedAt = T0.AddMinutes(-5), Attempt = 1,
        };
        await database.ExecuteAsync($$"""
            INSERT INTO credentials (id, project_id, user_id, integration, display_name, protected_secret, created_at, deleted_at)
            VALUES ('{{credential.Id:D}}', 'project-1', 'alice', 'hubspot', '{{credential.DisplayName}}', '{{credential.ProtectedSecret}}',
                    {{Ms(credential.CreatedAt)}}, NULL);
            INSERT INTO syncs (id, project_id, user_id, integration, pipeline, configuration_name, configuration_json, credential_id,
                frequency, status, reason, rate_limit_backoff_ms, next_run_at, last_run_started_at, last_synced_at,
                total_records, synced_records_count, latest_cursor, version, created_at, updated_at)
            VALUES ('{{sync.Id:D}}', 'project-1', 'alice', 'hubspot', 'contacts', 'default', '{"region":"eu"}', '{{credential.Id:D}}',
                '5m', 'Active', NULL, NULL, {{Ms(sync.NextRunAt!.Value)}}, {{Ms(T0)}}, {{Ms(sync.LastSyncedAt!.Value)}},
                0, 0, NULL, 4, {{Ms(sync.CreatedAt)}}, {{Ms(T0)}});
            INSERT INTO sync_runs (id, sync_id, run_type, run_trigger, state, created_at, due_at, started_at, finished_at, attempt, error)
            VALUES ('{{running.Id:D}}', '{{sync.Id:D}}', 'Incremental', 'Schedule', 'Running', {{Ms(T0)}}, {{Ms(T0)}}, {{Ms(T0)}}, NULL, 1, NULL),
                   ('{{done.Id:D}}', '{{sync.Id:D}}', 'Incremental', 'Schedule', 'Succeeded', {{Ms(done.CreatedAt)}}, {{Ms(done.DueAt)}},
                    {{Ms(done.StartedAt!.Value)}}, {{Ms(done.FinishedAt!.Value)}}, 1, NULL);
            """);
        var store = database.OpenStore();

        await store.MigrateAsync();

        Assert.Equal(database.KnownMigrationVersions.Select(v => (long)v),
            await database.QueryLongsAsync("SELECT version FROM schema_migrations ORDER BY version"));
        Assert.Contains(2, database.KnownMigrationVersions);
        var snapshot = await store.GetSyncAsync(Alice, sync.Id);
        Assert.Equal(sync, snapshot?.Sync); // SourceCursor and LastFullSyncAt null
        Assert.Equal([running], snapshot!.OpenRuns); // Retries 0, no lease
        Assert.Equal([running, done], (await store.ListRunsAsync(Alice, sync.Id, 10, null))!.Runs);
        Assert.Equal(credential, await store.GetCredentialAsync(Alice, credential.Id));

        // The engine works on it: a RUNNING run without a lease (from before leases) is claimed again.
        var now = T0.AddSeconds(1);
        var (_, reclaimed) = Assert.Single(await store.DispatchAsync(now, 10, s => RunRules.Dispatch(s, now, "worker-1", Policy)));
        Assert.Equal((running.Id, 2), (reclaimed.Id, reclaimed.Attempt));
        Assert.Equal(new RecordPageResult(false, 1, 0, 0),
            await store.WriteRecordPageAsync(Page(reclaimed, [Upsert(sync.Id, "a")], now)));
        Assert.Equal(1, Assert.Single((await store.ListRecordsAsync(Alice, sync.Id, 0, 10))!.Records).Sequence);
    }

    [Fact]
    public async Task Migrate_FromVersion2_NamesEachSyncsLifeByItsCreation_AndKeepsItsLatestRecordSequence()
    {
        var database = await NewDatabaseAsync();
        await database.CreateSchemaAsync(2);
        var older = Guid.NewGuid();
        var newer = Guid.NewGuid();
        var olderCreated = T0.AddDays(-2);
        var newerCreated = T0.AddDays(-1);
        await database.ExecuteAsync($$"""
            INSERT INTO syncs (id, project_id, user_id, integration, pipeline, configuration_name, configuration_json, credential_id,
                frequency, status, reason, rate_limit_backoff_ms, next_run_at, last_run_started_at, last_synced_at,
                total_records, synced_records_count, latest_cursor, version, created_at, updated_at, record_sequence)
            VALUES ('{{older:D}}', 'project-1', 'alice', 'hubspot', 'contacts', 'a', '{}', NULL,
                    NULL, 'Idle', NULL, NULL, NULL, NULL, NULL, 5, 4, 'Y3Vyc29yOjU=', 3, {{Ms(olderCreated)}}, {{Ms(T0)}}, 5),
                   ('{{newer:D}}', 'project-1', 'alice', 'hubspot', 'contacts', 'b', '{}', NULL,
                    NULL, 'Initializing', NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, 1, {{Ms(newerCreated)}}, {{Ms(T0)}}, 0);
            """);
        var store = database.OpenStore();

        await store.MigrateAsync();

        var migratedOlder = (await store.GetSyncAsync(Alice, older))!.Sync;
        var migratedNewer = (await store.GetSyncAsync(Alice, newer))!.Sync;
        Assert.Equal((Ms(olderCreated), 5L), (migratedOlder.Incarnation, migratedOlder.LatestRecordSequence));
        Assert.Equal((Ms(newerCreated), 0L), (migratedNewer.Incarnation, migratedNewer.LatestRecordSequence));
        Assert.Equal(Ms(olderCreated), (await ((IRecordStore)store).ListRecordsAsync(Alice, older, 0, 10))!.Incarnation);
        Assert.Equal(Ms(newerCreated), (await store.ListRunsAsync(Alice, newer, 10, null))!.Incarnation);
    }

    // ================= Helpers =================

    /// <summary>Runs the operations at once, each on a thread of its own (see SyncStoreContract's twin).</summary>
    protected static async Task<T[]> RunTogetherAsync<T>(int count, Func<int, Task<T>> operation)
    {
        using var go = new ManualResetEventSlim();
        var tasks = new Task<T>[count];
        for (var i = 0; i < count; i++)
        {
            var index = i;
            tasks[i] = Task.Factory.StartNew(() =>
            {
                go.Wait();
                return operation(index);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
        go.Set();
        return await Task.WhenAll(tasks);
    }

    /// <summary>Snapshots are equal when their Syncs and open runs are (a snapshot's list compares by reference).</summary>
    protected static void AssertSameSnapshot(SyncSnapshot? expected, SyncSnapshot? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Sync, actual.Sync);
        Assert.Equal(expected.OpenRuns, actual.OpenRuns);
    }

    /// <summary>Dispatch with the real rules as <paramref name="owner"/> at <paramref name="now"/>.</summary>
    protected Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max = 100, string owner = "worker-1") =>
        Engine.DispatchAsync(now, max, s => RunRules.Dispatch(s, now, owner, Policy));

    /// <summary>Dispatches at <paramref name="now"/> and returns the run started for <paramref name="syncId"/>.</summary>
    protected async Task<SyncRun> StartRunAsync(Guid syncId, DateTimeOffset now, string owner = "worker-1") =>
        Assert.Single(await DispatchAsync(now, owner: owner), s => s.Sync.Id == syncId).Run;

    /// <summary>Queues a run as TriggerSync would and starts it at once.</summary>
    protected async Task<SyncRun> StartTriggeredRunAsync(Guid syncId, RunType type, DateTimeOffset now)
    {
        await Engine.MutateSyncAsync(syncId, s => RunRules.Trigger(s, type, now));
        var run = await StartRunAsync(syncId, now);
        Assert.Equal(type, run.Type);
        return run;
    }

    /// <summary>Reports the run as succeeded, as its worker would.</summary>
    protected async Task FinishAsync(SyncRun run, DateTimeOffset now)
    {
        var change = await Engine.MutateSyncAsync(run.SyncId,
            s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.Succeeded(null), now, Policy));
        Assert.False(change?.Result.Fenced ?? true);
    }

    /// <summary>Sets a Sync's status as it is, runs and schedule untouched (a stopped Sync that still looks due).</summary>
    private async Task ForceStatusAsync(Guid syncId, SyncStatus status) =>
        await Engine.MutateSyncAsync(syncId, s => new SyncChange<bool>(s.Sync with { Status = status, Version = s.Sync.Version + 1 }, [], [], true));

    /// <summary>
    /// Inserts a new Sync as the domain enables it (INITIAL run queued, due at <paramref name="at"/>), bound
    /// to a new credential of the scope (inserted first) or, with <paramref name="bound"/> false, to none.
    /// </summary>
    protected async Task<(Sync Sync, SyncRun InitialRun)> InsertSyncAsync(Scope scope, string name = "default",
        DateTimeOffset? at = null, bool bound = true)
    {
        Guid? credentialId = null;
        if (bound)
        {
            var credential = NewCredential(scope, at ?? T0);
            await Store.InsertCredentialAsync(credential);
            credentialId = credential.Id;
        }
        var (sync, run) = NewSync(scope, name, credentialId, at ?? T0);
        var (stored, created) = await Store.InsertSyncAsync(sync, run);
        Assert.True(created);
        return (stored, run);
    }

    protected static (Sync Sync, SyncRun InitialRun) NewSync(Scope scope, string name, Guid? credentialId, DateTimeOffset at)
    {
        var (sync, run) = SyncRules.Enable(scope, "hubspot", "contacts", name, "{}", credentialId ?? Guid.Empty, null, at);
        return (sync with { CredentialId = credentialId }, run);
    }

    protected static Credential NewCredential(Scope scope, DateTimeOffset createdAt) => new()
    {
        Id = Guid.NewGuid(),
        ProjectId = scope.ProjectId,
        UserId = scope.UserId,
        Integration = "hubspot",
        DisplayName = "hubspot account",
        ProtectedSecret = "protected:" + Guid.NewGuid().ToString("N"),
        CreatedAt = createdAt,
    };

    protected static SyncRun NewRun(Guid syncId, DateTimeOffset createdAt) => new()
    {
        Id = Guid.NewGuid(),
        SyncId = syncId,
        Type = RunType.Incremental,
        Trigger = RunTrigger.Schedule,
        State = RunState.Queued,
        CreatedAt = createdAt,
        DueAt = createdAt,
    };

    protected static Guid RecordId(Guid syncId, string externalId) => NameBasedGuid.ForRecord(syncId, externalId);

    /// <summary>A source item as a connector would hand it over; the fingerprint follows the version.</summary>
    protected static RecordUpsert Upsert(Guid syncId, string externalId, string version = "v1") =>
        new(RecordId(syncId, externalId), externalId, Data(externalId, version), $"{externalId}@{version}");

    protected static RecordUpsert[] Upserts(Guid syncId, params string[] externalIds) =>
        externalIds.Select(x => Upsert(syncId, x)).ToArray();

    /// <summary>The stored record <see cref="Upsert"/> leads to (live).</summary>
    protected static SyncRecord Record(Guid syncId, string externalId, long sequence, DateTimeOffset syncedAt, string version = "v1") => new()
    {
        Id = RecordId(syncId, externalId),
        SyncId = syncId,
        ExternalId = externalId,
        Sequence = sequence,
        Deleted = false,
        DataJson = Data(externalId, version),
        Fingerprint = $"{externalId}@{version}",
        SyncedAt = syncedAt,
    };

    protected static RecordPage Page(SyncRun run, IReadOnlyList<RecordUpsert> upserts, DateTimeOffset now, bool reconcile = false,
        string? sourceCursor = null) =>
        new(run.SyncId, run.Id, run.Attempt, upserts, reconcile, sourceCursor, now);

    /// <summary>Every record of one of Alice's Syncs (tombstones too), in sequence order.</summary>
    protected async Task<IReadOnlyList<SyncRecord>> AllRecordsAsync(Guid syncId) =>
        (await Records.ListRecordsAsync(Alice, syncId, 0, 10_000))!.Records;

    private static string Data(string externalId, string version) => $$"""{"name":"{{externalId}}.txt","version":"{{version}}"}""";

    private static long Ms(DateTimeOffset value) => value.ToUnixTimeMilliseconds();
}
