using GrpcSync.Connectors.Filesystem;
using GrpcSync.Domain;
using GrpcSync.Engine.Budgets;
using GrpcSync.Engine.Configuration;
using GrpcSync.Connectors;
using GrpcSync.Engine.Dispatching;
using GrpcSync.Storage;
using GrpcSync.Storage.Postgres;
using GrpcSync.Storage.Sqlite;
using GrpcSync.Testing.Postgres;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GrpcSync.Engine.Tests.Infrastructure;

/// <summary>
/// One test's world: a migrated store (<see cref="TestStore"/>: SQLite on a temp file, or a fresh
/// database on the test process's PostgreSQL server), a fake clock, the fake and filesystem
/// connectors (accounts are folders under <see cref="AllowedRoot"/>), and engines on them.
/// Engines are driven round by round (<see cref="RunDueAsync"/>) unless a test starts the loop.
/// </summary>
public sealed class EngineHarness : IAsyncDisposable
{
    /// <summary>How long a test waits in real time for something that should happen at once.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The fake clock's start (whole milliseconds, as the store keeps them).</summary>
    public static readonly DateTimeOffset Start = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);

    public static readonly Scope Scope = new("project-1", "user-1");

    private readonly List<SyncEngine> _engines = [];
    private readonly ILoggerFactory _loggerFactory;
    private SyncEngine? _engine;

    private readonly IDisposable _storeLifetime;
    private readonly string? _postgresDatabase;

    private EngineHarness(TestStore kind, ISyncStore store, IEngineStore engineStore, IRecordStore records, IDisposable lifetime,
        string baseDirectory, string? postgresDatabase)
    {
        Kind = kind;
        Store = store;
        RawEngineStore = engineStore;
        Records = records;
        _storeLifetime = lifetime;
        _postgresDatabase = postgresDatabase;
        BaseDirectory = baseDirectory;
        EngineStore = new RecordingEngineStore(engineStore);
        Directory.CreateDirectory(AllowedRoot);
        Filesystem = new FilesystemConnector(new FilesystemConnectorOptions { AllowedRoots = [AllowedRoot] });
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
    }

    public static async Task<EngineHarness> CreateAsync(TestStore kind)
    {
        var baseDirectory = Path.Combine(Path.GetTempPath(), "grpcsync-engine-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(baseDirectory);
        if (kind == TestStore.Sqlite)
        {
            var sqlite = SqliteSyncStore.ForFile(Path.Combine(baseDirectory, "grpcsync.db"));
            await sqlite.MigrateAsync();
            return new EngineHarness(kind, sqlite, sqlite, sqlite, sqlite, baseDirectory, null);
        }
        // Fails (never skips) when PostgreSQL cannot be started: see SharedPostgresServer.
        var database = await SharedPostgresServer.CreateDatabaseAsync();
        var postgres = new PostgresSyncStore(database);
        await postgres.MigrateAsync();
        return new EngineHarness(kind, postgres, postgres, postgres, postgres, baseDirectory, database);
    }

    public FakeTimeProvider Time { get; } = new(Start);

    /// <summary>The clock the engines get: <see cref="Time"/>, with the timers they start counted.</summary>
    public TimerWatchingTimeProvider EngineTime => _engineTime ??= new TimerWatchingTimeProvider(Time);

    private TimerWatchingTimeProvider? _engineTime;
    public string BaseDirectory { get; }
    public string AllowedRoot => Path.Combine(BaseDirectory, "allowed");
    /// <summary>The store this harness runs on.</summary>
    public TestStore Kind { get; }
    public ISyncStore Store { get; }

    /// <summary>The store's engine view without the recording wrapper (<see cref="EngineStore"/>).</summary>
    public IEngineStore RawEngineStore { get; }
    public IRecordStore Records { get; }
    public RecordingEngineStore EngineStore { get; }
    public FakeConnector Fake { get; } = new();
    public FilesystemConnector Filesystem { get; }
    public CapturingLoggerProvider Logs { get; } = new();
    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Settings of engines made by <see cref="NewEngine"/>: production defaults unless a test changes them.</summary>
    public EngineOptions Options { get; } = new() { WorkerId = "test-worker" };

    public RunPolicy Policy => Options.ToRunPolicy();

    /// <summary>
    /// Budgets per integration of engines made by <see cref="NewEngine"/>. Many tests put a dozen Syncs on one
    /// credential to test something else, so the harness allows 100 runs at once per credential unless a test
    /// (the budget tests) sets its own.
    /// </summary>
    public Dictionary<string, ConnectorBudgetOptions> Budgets { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [FakeConnector.Name] = new() { MaxRunsPerCredential = 100 },
        [FilesystemConnector.IntegrationName] = new() { MaxRunsPerCredential = 100 },
    };

    /// <summary>The test's default engine (made on first use, with <see cref="Options"/> as they are then).</summary>
    public SyncEngine Engine => _engine ??= NewEngine();

    public SyncEngine NewEngine(EngineOptions? options = null)
    {
        var engine = new SyncEngine(EngineStore, new ConnectorRegistry([Fake, Filesystem]), new PassThroughSecrets(), EngineTime,
            Microsoft.Extensions.Options.Options.Create(options ?? Options), _loggerFactory, new ConnectorBudgets(Budgets));
        _engines.Add(engine);
        return engine;
    }

    // ---------------------------------------------------------------- arranging

    public async Task<Credential> AddCredentialAsync(string integration, string secret)
    {
        var credential = new Credential
        {
            Id = Guid.NewGuid(),
            ProjectId = Scope.ProjectId,
            UserId = Scope.UserId,
            Integration = integration,
            DisplayName = integration + " account",
            ProtectedSecret = secret,
            CreatedAt = Now,
        };
        await Store.InsertCredentialAsync(credential);
        return credential;
    }

    public Task<Credential> AddFakeCredentialAsync(string secret = "fake-secret") => AddCredentialAsync(FakeConnector.Name, secret);

    /// <summary>A filesystem account: a folder under the allowed root holding the given files.</summary>
    public async Task<Credential> AddFilesystemAccountAsync(string account, params (string Path, string Content)[] files)
    {
        var root = AccountRoot(account);
        Directory.CreateDirectory(root);
        foreach (var (path, content) in files)
        {
            WriteFile(account, path, content);
        }
        return await AddCredentialAsync(FilesystemConnector.IntegrationName, root);
    }

    public string AccountRoot(string account) => Path.Combine(AllowedRoot, account);

    public void WriteFile(string account, string relative, string content)
    {
        var path = Path.Combine(AccountRoot(account), relative.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>Enables a Sync the way the API does (SyncRules.Enable + InsertSyncAsync): INITIALIZING, INITIAL run due now.</summary>
    public async Task<Sync> EnableAsync(Credential credential, string? frequency = null, string configurationJson = "{}",
        string? integration = null, string configurationName = "default")
    {
        integration ??= credential.Integration;
        var pipeline = integration == FilesystemConnector.IntegrationName ? FilesystemConnector.FilesPipeline : FakeConnector.ItemsPipeline;
        var (sync, initialRun) = SyncRules.Enable(Scope, integration, pipeline, configurationName, configurationJson,
            credential.Id, frequency, Now);
        var (stored, created) = await Store.InsertSyncAsync(sync, initialRun);
        Assert.True(created);
        return stored;
    }

    public async Task<T> MutateAsync<T>(Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide)
    {
        var change = await Store.MutateSyncAsync(Scope, syncId, decide);
        Assert.NotNull(change);
        return change.Result;
    }

    public Task<UpdateOutcome> UpdateAsync(Guid syncId, Guid? credentialId = null, string? frequency = null)
    {
        var now = Now;
        return MutateAsync(syncId, s => SyncRules.Update(s, new UpdateSyncCommand(credentialId, frequency, null), now));
    }

    public Task<Sync> DisableAsync(Guid syncId)
    {
        var now = Now;
        return MutateAsync(syncId, s => SyncRules.Disable(s, now));
    }

    public Task<Sync> ReenableAsync(Guid syncId)
    {
        var now = Now;
        return MutateAsync(syncId, s => SyncRules.Reenable(s, now));
    }

    public Task<bool> DeleteCredentialAsync(Guid credentialId)
    {
        var now = Now;
        return Store.DeleteCredentialAsync(Scope, credentialId, now, s => SyncRules.CredentialDeleted(s, credentialId, now));
    }

    // ---------------------------------------------------------------- acting

    /// <summary>One dispatch round of the engine, then waits until every worker it started has ended.</summary>
    public async Task<int> RunDueAsync(SyncEngine? engine = null)
    {
        engine ??= Engine;
        var started = await engine.DispatchOnceAsync().WaitAsync(Timeout);
        await engine.WhenIdleAsync().WaitAsync(Timeout);
        return started;
    }

    /// <summary>
    /// Waits (bounded, in real time) until a background loop has parked on its poll delay once more
    /// than <paramref name="parkedBefore"/> times, i.e. it has finished a round and sleeps on fake time.
    /// </summary>
    public Task WaitUntilLoopParksAsync(int parkedBefore) =>
        EventuallyAsync(() => Task.FromResult(LoopParkings > parkedBefore), what: "the engine loop to wait for its next poll");

    /// <summary>How often a background loop has parked on its poll delay so far.</summary>
    public int LoopParkings => EngineTime.TimersStarted(Options.PollInterval);

    /// <summary>Moves the fake clock to <paramref name="when"/> (never backwards).</summary>
    public void AdvanceTo(DateTimeOffset when)
    {
        Assert.True(when >= Now, $"Cannot move the clock back from {Now:O} to {when:O}.");
        Time.SetUtcNow(when);
    }

    /// <summary>
    /// Moves the clock on by whole lease-renewal periods while a worker is busy, waiting after each for
    /// its renewal, so the lease never ends merely because the test moved time faster than the worker.
    /// </summary>
    public async Task AdvanceWhileWorkingAsync(int renewals, Func<Task>? afterEach = null)
    {
        for (var i = 0; i < renewals; i++)
        {
            Time.Advance(Options.Lease / 3);
            Assert.True(await EngineStore.NextRenewalAsync(), "The lease renewal was refused.");
            if (afterEach is not null)
            {
                await afterEach();
            }
        }
    }

    // ---------------------------------------------------------------- reading

    public async Task<SyncSnapshot> SnapshotAsync(Guid syncId) =>
        await Store.GetSyncAsync(Scope, syncId) ?? throw new InvalidOperationException($"Sync {syncId} not found.");

    public async Task<Sync> SyncAsync(Guid syncId) => (await SnapshotAsync(syncId)).Sync;

    /// <summary>Every run of the Sync, oldest first.</summary>
    public async Task<IReadOnlyList<SyncRun>> RunsAsync(Guid syncId)
    {
        var page = await Store.ListRunsAsync(Scope, syncId, 1000, null);
        return [.. (page?.Runs ?? []).Reverse()];
    }

    /// <summary>Every record of the Sync (tombstones included), in change order.</summary>
    public async Task<IReadOnlyList<SyncRecord>> RecordsAsync(Guid syncId)
    {
        var page = await Records.ListRecordsAsync(Scope, syncId, 0, 10_000);
        Assert.NotNull(page);
        return page.Records;
    }

    public async Task<IReadOnlyList<SyncRecord>> LiveRecordsAsync(Guid syncId) =>
        [.. (await RecordsAsync(syncId)).Where(r => !r.Deleted)];

    public static Guid RecordId(Guid syncId, string externalId) => NameBasedGuid.ForRecord(syncId, externalId);

    /// <summary>Waits (in real time, bounded) until <paramref name="condition"/> holds, doing <paramref name="step"/> between checks.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, Action? step = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out waiting for " + (what ?? "the condition") + ".");
            }
            step?.Invoke();
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            engine.Dispose(); // cancels stragglers: they release their runs
            try
            {
                await engine.WhenIdleAsync().WaitAsync(Timeout);
            }
            catch (TimeoutException)
            {
                // Reported by the test that left it running; don't hide the original failure.
            }
        }
        _loggerFactory.Dispose();
        _storeLifetime.Dispose();
        if (_postgresDatabase is not null)
        {
            await SharedPostgresServer.DropDatabaseAsync(_postgresDatabase);
        }
        try
        {
            Directory.Delete(BaseDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
