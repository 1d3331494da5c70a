using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>
/// What every <see cref="ISyncStore"/> must do. Each implementation derives a class that makes an
/// empty database per test. Times are whole milliseconds (what the stores keep).
/// </summary>
public abstract partial class SyncStoreContract : IAsyncLifetime
{
    protected static readonly Scope Alice = new("project-1", "alice");
    protected static readonly Scope Bob = new("project-1", "bob");
    protected static readonly Scope AliceInOtherProject = new("project-2", "alice");

    /// <summary>2026-01-01T00:00:00.123Z.</summary>
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);

    private readonly List<ITestDatabase> _databases = [];
    private ITestDatabase? _database;
    private ISyncStore? _store;

    /// <summary>The store of this test, on a migrated database of its own.</summary>
    protected ISyncStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    protected ITestDatabase Database => _database ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>Makes an empty database (no schema) for this test.</summary>
    protected abstract Task<ITestDatabase> CreateEmptyDatabaseAsync();

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

    protected async Task<ITestDatabase> NewDatabaseAsync()
    {
        var database = await CreateEmptyDatabaseAsync();
        _databases.Add(database);
        return database;
    }

    // ================= Schema =================

    [Fact]
    public async Task Migrate_RunTwice_IsIdempotentAndRecordsEachVersionOnce()
    {
        await Store.MigrateAsync();
        await Store.MigrateAsync();

        Assert.NotEmpty(Database.KnownMigrationVersions);
        Assert.Equal(Database.KnownMigrationVersions, await Database.ReadAppliedMigrationVersionsAsync());
        var (sync, run) = await NewBoundSyncAsync(Alice);
        Assert.True((await Store.InsertSyncAsync(sync, run)).Created);
    }

    [Fact]
    public async Task Migrate_FromSeveralStoresAtOnce_AppliesEachVersionOnce()
    {
        var database = await NewDatabaseAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => database.OpenStore()).ToArray();

        await RunTogetherAsync(stores.Length, async i =>
        {
            await stores[i].MigrateAsync();
            return true;
        });

        Assert.Equal(database.KnownMigrationVersions, await database.ReadAppliedMigrationVersionsAsync());
        var (sync, run) = await NewBoundSyncAsync(Alice, store: stores[0]);
        Assert.True((await stores[0].InsertSyncAsync(sync, run)).Created);
        Assert.NotNull(await stores[3].GetSyncAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task Ping_OnAWorkingStore_ReturnsTrue()
    {
        Assert.True(await Store.PingAsync());
    }

    // ================= Helpers =================

    /// <summary>
    /// Starts the operations at the same moment, each on a thread of its own. (Task.Run from a test
    /// may queue them all on the test's own pool thread, and a store that completes synchronously,
    /// like SQLite, would then run them one after another and prove nothing.)
    /// </summary>
    protected static async Task<T[]> RunTogetherAsync<T>(int count, Func<int, Task<T>> operation)
    {
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, count)
            .Select(i => Task.Factory.StartNew(async () =>
            {
                start.Wait();
                return await operation(i);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())
            .ToArray();
        start.Set();
        return await Task.WhenAll(tasks);
    }

    /// <summary>
    /// A new Sync as the domain enables it (INITIALIZING, initial run queued), bound to
    /// <paramref name="credentialId"/> (null: bound to none). The store creates it only if that is a live
    /// credential of the scope: see <see cref="NewBoundSyncAsync"/> and <see cref="InsertCredentialAsync"/>.
    /// </summary>
    protected static (Sync Sync, SyncRun InitialRun) NewSync(Scope scope, Guid? credentialId, string name = "default",
        DateTimeOffset? at = null)
    {
        var (sync, run) = SyncRules.Enable(scope, "hubspot", "contacts", name, """{"region":"eu"}""", credentialId ?? Guid.Empty,
            null, at ?? T0);
        return (sync with { CredentialId = credentialId }, run);
    }

    /// <summary>
    /// <see cref="NewSync"/> bound to a new credential of the scope, which is inserted first (into
    /// <paramref name="store"/>, by default this test's store); the Sync itself is not inserted.
    /// </summary>
    protected async Task<(Sync Sync, SyncRun InitialRun)> NewBoundSyncAsync(Scope scope, string name = "default",
        DateTimeOffset? at = null, ISyncStore? store = null)
    {
        var credential = await InsertCredentialAsync(scope, at, store);
        return NewSync(scope, credential.Id, name, at);
    }

    /// <summary>
    /// Inserts a new Sync, bound to <paramref name="credentialId"/> or, when that is null, to a new
    /// credential of the scope inserted first.
    /// </summary>
    protected async Task<(Sync Sync, SyncRun InitialRun)> InsertNewSyncAsync(Scope scope, string name = "default",
        DateTimeOffset? at = null, Guid? credentialId = null)
    {
        var (sync, run) = credentialId is { } id ? NewSync(scope, id, name, at) : await NewBoundSyncAsync(scope, name, at);
        var (stored, created) = await Store.InsertSyncAsync(sync, run);
        Assert.True(created);
        return (stored, run);
    }

    /// <summary>A new live credential of the scope, inserted into <paramref name="store"/> (by default this test's store).</summary>
    protected async Task<Credential> InsertCredentialAsync(Scope scope, DateTimeOffset? at = null, ISyncStore? store = null)
    {
        var credential = NewCredential(scope, "hubspot", at ?? T0);
        await (store ?? Store).InsertCredentialAsync(credential);
        return credential;
    }

    /// <summary>A credential of the scope that was inserted and then deleted (bound to no Sync).</summary>
    protected async Task<Credential> InsertDeletedCredentialAsync(Scope scope)
    {
        var credential = await InsertCredentialAsync(scope);
        Assert.True(await Store.DeleteCredentialAsync(scope, credential.Id, T0.AddSeconds(1), s => SyncChange<Sync>.Nothing(s.Sync)));
        return credential;
    }

    protected static SyncRun NewRun(Guid syncId, DateTimeOffset createdAt, RunState state,
        RunType type = RunType.Incremental, RunTrigger trigger = RunTrigger.Schedule) => new()
    {
        Id = Guid.NewGuid(),
        SyncId = syncId,
        Type = type,
        Trigger = trigger,
        State = state,
        CreatedAt = createdAt,
        DueAt = createdAt,
        StartedAt = state == RunState.Queued ? null : createdAt.AddSeconds(1),
        FinishedAt = state is RunState.Queued or RunState.Running ? null : createdAt.AddSeconds(2),
        Attempt = state == RunState.Queued ? 0 : 1,
        Error = state == RunState.Failed ? "upstream said no" : null,
    };

    protected static Credential NewCredential(Scope scope, string integration, DateTimeOffset createdAt) => new()
    {
        Id = Guid.NewGuid(),
        ProjectId = scope.ProjectId,
        UserId = scope.UserId,
        Integration = integration,
        DisplayName = $"{integration} account",
        ProtectedSecret = "protected:" + Guid.NewGuid().ToString("N"),
        CreatedAt = createdAt,
    };

    /// <summary>Asserts that the write fails as the store reports a credential that may not be bound.</summary>
    private static async Task AssertCredentialNotFoundAsync(Guid credentialId, Func<Task> write)
    {
        var error = await Assert.ThrowsAsync<DomainException>(write);
        Assert.Equal(ErrorKind.NotFound, error.Kind);
        Assert.Equal("CREDENTIAL_NOT_FOUND", error.Reason);
        Assert.Contains(credentialId.ToString(), error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Asserts that the Sync (made by <see cref="NewSync"/>) was not written, nor any run of it: once bound
    /// to a live credential it is created, with its own initial run only.
    /// </summary>
    private async Task AssertNoSyncWrittenAsync(Sync sync)
    {
        Assert.Null(await Store.GetSyncAsync(sync.Scope, sync.Id));
        Assert.Empty(await Store.ListSyncsAsync(sync.Scope, null));
        var (bound, run) = await NewBoundSyncAsync(sync.Scope, sync.ConfigurationName, T0.AddMinutes(5));
        Assert.Equal(sync.Id, bound.Id);
        var (stored, created) = await Store.InsertSyncAsync(bound, run);
        Assert.True(created);
        Assert.Equal(bound, stored);
        Assert.Equal([run], await AllRunsAsync(sync.Scope, sync.Id));
    }

    /// <summary>Binds the Sync to <paramref name="credentialId"/> and changes nothing else (no run queued).</summary>
    private static SyncChange<Sync> Rebind(SyncSnapshot snapshot, Guid? credentialId, DateTimeOffset now)
    {
        var next = snapshot.Sync with { CredentialId = credentialId, Version = snapshot.Sync.Version + 1, UpdatedAt = now };
        return new SyncChange<Sync>(next, [], [], next);
    }

    private static SyncChange<bool> Bump(SyncSnapshot snapshot, DateTimeOffset now) =>
        new(snapshot.Sync with { Version = snapshot.Sync.Version + 1, UpdatedAt = now }, [], [], true);

    /// <summary>Every run of the Sync, newest first.</summary>
    protected async Task<IReadOnlyList<SyncRun>> AllRunsAsync(Scope scope, Guid syncId) =>
        (await Store.ListRunsAsync(scope, syncId, 1000, null))?.Runs ?? [];
}
