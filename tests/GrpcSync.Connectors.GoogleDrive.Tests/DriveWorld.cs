using System.Text.Json;
using GrpcSync.Domain;
using GrpcSync.Engine.Credentials;
using GrpcSync.Storage.Postgres;
using GrpcSync.Storage.Relational;
using GrpcSync.Storage.Sqlite;
using GrpcSync.Testing.Postgres;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Connectors.GoogleDrive.Tests;

/// <summary>The store a test runs on: each store-facing test class runs once per store.</summary>
public enum TestStore
{
    Sqlite,
    Postgres,
}

/// <summary>
/// One test's world: the Drive double, a connector pointed at it with the double's OAuth client, and a real migrated
/// store (a SQLite file, or a fresh PostgreSQL database) holding the credentials, whose access tokens the engine's
/// <see cref="StoreAccessTokens"/> keeps, as in production.
/// </summary>
public sealed class DriveWorld : IAsyncDisposable
{
    public static readonly Scope Scope = new("project-1", "user-1");

    private readonly string _directory;
    private readonly List<RelationalSyncStore> _stores = [];
    private readonly string? _postgres;

    private DriveWorld(DriveDouble drive, RelationalSyncStore store, string directory, string? postgres, TestStore kind)
    {
        Drive = drive;
        Store = store;
        _stores.Add(store);
        _directory = directory;
        _postgres = postgres;
        Kind = kind;
        Connector = NewConnector();
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
    }

    public static async Task<DriveWorld> CreateAsync(TestStore kind = TestStore.Sqlite)
    {
        var drive = await DriveDouble.StartAsync();
        var directory = Path.Combine(Path.GetTempPath(), "grpcsync-drive-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        if (kind == TestStore.Sqlite)
        {
            var sqlite = SqliteSyncStore.ForFile(Path.Combine(directory, "grpcsync.db"));
            await sqlite.MigrateAsync();
            return new DriveWorld(drive, sqlite, directory, null, kind);
        }
        var database = await SharedPostgresServer.CreateDatabaseAsync();
        var postgres = new PostgresSyncStore(database);
        await postgres.MigrateAsync();
        return new DriveWorld(drive, postgres, directory, database, kind);
    }

    public TestStore Kind { get; }
    public DriveDouble Drive { get; }
    public RelationalSyncStore Store { get; }
    public GoogleDriveConnector Connector { get; }
    public CapturingLogs Logs { get; } = new();
    public ILoggerFactory LoggerFactory { get; }
    public PlainSecrets Secrets { get; } = new();

    /// <summary>Fast retries: the tests must not wait seconds for a throttled request.</summary>
    public GoogleDriveConnectorOptions Options => new()
    {
        ClientId = DriveDouble.ClientId,
        ClientSecret = DriveDouble.ClientSecret,
        TokenEndpoint = Drive.TokenEndpoint,
        ApiBaseUrl = Drive.BaseUrl,
        RateLimitRetries = 1,
        RateLimitBaseDelay = TimeSpan.FromMilliseconds(20),
    };

    public GoogleDriveConnector NewConnector(GoogleDriveConnectorOptions? options = null) => new(options ?? Options);

    /// <summary>Another store on the same database: a second replica (PostgreSQL) or process (SQLite).</summary>
    public RelationalSyncStore SecondStore()
    {
        RelationalSyncStore store = _postgres is not null
            ? new PostgresSyncStore(_postgres)
            : SqliteSyncStore.ForFile(Path.Combine(_directory, "grpcsync.db"));
        _stores.Add(store);
        return store;
    }

    /// <summary>A credential holding a fresh grant of the double (no access token yet: the first request refreshes).</summary>
    public async Task<(Credential Credential, string RefreshToken)> AddCredentialAsync(string? accessToken = null, DateTimeOffset? expiresAt = null)
    {
        var refresh = Drive.IssueRefreshToken();
        var credential = new Credential
        {
            Id = Guid.NewGuid(),
            ProjectId = Scope.ProjectId,
            UserId = Scope.UserId,
            Integration = GoogleDriveConnector.IntegrationName,
            DisplayName = "Work Drive",
            ProtectedSecret = Secrets.Protect(new OAuthGrant(refresh, accessToken, expiresAt).ToStored()),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await Store.InsertCredentialAsync(credential);
        return (credential, refresh);
    }

    public AccessTokenSources Tokens(RelationalSyncStore? store = null) =>
        new(store ?? Store, store ?? Store, Secrets, TimeProvider.System, LoggerFactory);

    /// <summary>What a run reads with: the configuration, the stored secret and the engine's access tokens.</summary>
    public async Task<SourceContext> ContextAsync(Credential credential, object? configuration = null, RelationalSyncStore? store = null)
    {
        var stored = await (store ?? Store).GetCredentialAsync(credential.Id);
        Assert.NotNull(stored);
        return new SourceContext("files", JsonSerializer.SerializeToElement(configuration ?? new { }), Secrets.Reveal(stored.ProtectedSecret))
        {
            AccessTokens = Tokens(store).For(Connector, credential.Id, "test/" + Guid.NewGuid().ToString("N")),
        };
    }

    public async Task<OAuthGrant> StoredGrantAsync(Guid credentialId)
    {
        var stored = await Store.GetCredentialAsync(credentialId);
        Assert.NotNull(stored);
        return OAuthGrant.FromStored(Secrets.Reveal(stored.ProtectedSecret));
    }

    public async ValueTask DisposeAsync()
    {
        Connector.Dispose();
        LoggerFactory.Dispose();
        await Drive.DisposeAsync();
        foreach (var store in _stores)
        {
            if (store is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
            else if (store is IDisposable plain)
            {
                plain.Dispose();
            }
        }
        if (_postgres is not null)
        {
            await SharedPostgresServer.DropDatabaseAsync(_postgres);
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a SQLite handle may linger for a moment; the temp directory is the OS's to clean
        }
    }
}

/// <summary>Secrets kept as they are, but marked, so a test can tell the protected form from the plain one.</summary>
public sealed class PlainSecrets : ICredentialSecrets
{
    public string Reveal(string protectedSecret) => protectedSecret.StartsWith("protected:", StringComparison.Ordinal)
        ? protectedSecret["protected:".Length..]
        : throw new InvalidOperationException("Not a protected secret.");

    public string Protect(string secret) => "protected:" + secret;
}

/// <summary>Every log line written, to check that no secret reaches a log.</summary>
public sealed class CapturingLogs : ILoggerProvider
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>Runs a store-facing test class once per store.</summary>
public abstract class DriveTest(TestStore store) : IAsyncLifetime
{
    protected DriveWorld W { get; private set; } = null!;

    public async Task InitializeAsync() => W = await DriveWorld.CreateAsync(store);

    public async Task DisposeAsync() => await W.DisposeAsync();

    /// <summary>Every page of a listing or a changes run.</summary>
    protected static async Task<List<SourcePage>> PagesAsync(IAsyncEnumerable<SourcePage> pages)
    {
        var all = new List<SourcePage>();
        await foreach (var page in pages)
        {
            all.Add(page);
        }
        return all;
    }
}
