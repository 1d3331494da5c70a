using System.Net;
using System.Security.Cryptography;
using Grpc.Net.Client;
using GrpcSync.Connectors;
using GrpcSync.Server.Auth;
using GrpcSync.Server.Hosting;
using GrpcSync.Storage;
using GrpcSync.Testing.Postgres;
using GrpcSync.Testing.Processes;
using GrpcSync.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// One real GrpcSync host per test class: both ports on 127.0.0.1 (free ports picked at start), a
/// fresh store (<see cref="Store"/>: a SQLite file in a temp directory, or a new database on the test
/// process's PostgreSQL server), and two projects (proj-a, proj-b) with RSA keys made here.
/// Tests talk to it only over sockets: a <see cref="GrpcChannel"/> (h2c) and an <see cref="HttpClient"/>.
/// <para>
/// This fixture is an API-only replica (<c>GrpcSync:Engine:Enabled=false</c>): runs stay QUEUED, so
/// the API's own decisions can be asserted exactly. It serves the test integrations
/// <see cref="CatalogConnector.TestIntegrations"/> (googledrive, salesforce, hubspot) besides the
/// built-in <c>filesystem</c>. <see cref="EngineServerFixture"/> runs the engine for real.
/// </para>
/// <para>
/// Abstract over the store: each test class is run by two nested classes, one on
/// <see cref="SqliteServer"/> and one on <see cref="PostgresServer"/> (likewise for the other fixtures).
/// </para>
/// </summary>
public abstract class ServerFixture(TestStore store) : IAsyncLifetime
{
    public const string AudienceHost = "grpcsync.test";
    public const string ProjectA = "proj-a";
    public const string ProjectB = "proj-b";

    // Key generation is the slowest part of start-up; every fixture can share the same keys.
    private static readonly Lazy<RSA> SharedKeyA = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> SharedKeyB = new(() => RSA.Create(2048));

    private WebApplication? _app;
    private string _dataDirectory = "";
    private string? _postgresDatabase;

    /// <summary>The store this host runs on.</summary>
    public TestStore Store { get; } = store;

    /// <summary>The running host's services (Data Protection, the store) for tests that set up state underneath the API.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The server is not running.");

    /// <summary>An ADO.NET connection string of this host's database (SQLite file or PostgreSQL database).</summary>
    public string DatabaseConnectionString => Store == TestStore.Postgres
        ? _postgresDatabase ?? throw new InvalidOperationException("No PostgreSQL database.")
        : $"Data Source={Path.Combine(_dataDirectory, "grpcsync.db")}";

    public RSA KeyA => SharedKeyA.Value;
    public RSA KeyB => SharedKeyB.Value;
    public int RestPort { get; private set; }
    public int GrpcPort { get; private set; }

    public HttpClient Http { get; private set; } = null!;
    public GrpcChannel Channel { get; private set; } = null!;
    public SyncService.SyncServiceClient Syncs { get; private set; } = null!;
    public CredentialService.CredentialServiceClient Credentials { get; private set; } = null!;
    public WebhookService.WebhookServiceClient Webhooks { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        if (Store == TestStore.Postgres)
        {
            // Fails (never skips) when PostgreSQL cannot be started: see SharedPostgresServer.
            _postgresDatabase = await SharedPostgresServer.CreateDatabaseAsync();
        }
        // A free port can be taken by someone else between probing and binding: try a few times.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync();
                break;
            }
            catch (IOException) when (attempt < 5)
            {
                await StopAsync();
            }
        }

        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{RestPort}"), Timeout = TimeSpan.FromSeconds(10) };
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort}");
        Syncs = new SyncService.SyncServiceClient(Channel);
        Credentials = new CredentialService.CredentialServiceClient(Channel);
        Webhooks = new WebhookService.WebhookServiceClient(Channel);
    }

    private async Task StartAsync()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "grpcsync-api-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataDirectory);
        (RestPort, GrpcPort) = LoopbackPorts.TwoFree();

        _app = GrpcSyncApp.Build([], builder =>
        {
            builder.Logging.ClearProviders();
            var settings = new Dictionary<string, string?>
            {
                ["GrpcSync:ListenAddress"] = "127.0.0.1",
                ["GrpcSync:RestPort"] = RestPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["GrpcSync:GrpcPort"] = GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["GrpcSync:DataDirectory"] = _dataDirectory,
                ["GrpcSync:Store:Provider"] = Store.ToString(),
                ["GrpcSync:Store:ConnectionString"] = _postgresDatabase,
                ["GrpcSync:Auth:GenerateDevelopmentKey"] = "false",
                ["GrpcSync:Auth:AudienceHosts:0"] = AudienceHost,
                [$"GrpcSync:Auth:Projects:{ProjectA}:PublicKeyPem"] = KeyA.ExportSubjectPublicKeyInfoPem(),
                [$"GrpcSync:Auth:Projects:{ProjectB}:PublicKeyPem"] = KeyB.ExportSubjectPublicKeyInfoPem(),
                ["GrpcSync:Engine:Enabled"] = "false",
                // The API scenarios use "googledrive" as a catalogue integration with plain secrets
                // (CatalogConnector); the real connector is tested in GrpcSync.Connectors.GoogleDrive.Tests and EndToEnd.
                ["GrpcSync:Connectors:GoogleDrive:Enabled"] = "false",
                // Local receivers (127.0.0.1, http) as in Development; StrictWebhookServer turns it off.
                ["GrpcSync:Webhooks:AllowPrivateNetworks"] = "true",
                // Limits on, but far above what a test sends: the suite fires bad tokens and bursts from one
                // address. RateLimitTests sets small limits to test them.
                ["GrpcSync:RateLimits:PermitsPerSecond"] = "100000",
                ["GrpcSync:RateLimits:Burst"] = "100000",
                ["GrpcSync:RateLimits:Unauthenticated:PermitsPerSecond"] = "100000",
                ["GrpcSync:RateLimits:Unauthenticated:Burst"] = "100000",
            };
            Configure(settings);
            builder.Configuration.AddInMemoryCollection(settings);
            ConfigureServices(builder.Services);
        });
        await _app.Services.GetRequiredService<ISyncStore>().MigrateAsync();
        await _app.StartAsync();
    }

    /// <summary>Adds or overrides configuration settings of the host (applied after the defaults above).</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    /// <summary>Registers extra services; by default the test connectors of <see cref="CatalogConnector.TestIntegrations"/>.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
        foreach (var connector in CatalogConnector.TestIntegrations())
        {
            services.AddSingleton<IConnector>(connector);
        }
    }

    private async Task StopAsync()
    {
        if (_app is not null)
        {
            try
            {
                await _app.StopAsync();
            }
            catch (Exception)
            {
                // A host that failed to start may not stop cleanly; it is disposed next anyway.
            }
            await _app.DisposeAsync();
            _app = null;
        }
        SqliteConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(_dataDirectory))
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory does not affect other tests.
        }
    }

    public virtual async Task DisposeAsync()
    {
        Channel?.Dispose();
        Http?.Dispose();
        await StopAsync();
        if (_postgresDatabase is not null)
        {
            await SharedPostgresServer.DropDatabaseAsync(_postgresDatabase);
        }
    }

    /// <summary>A new user of proj-a (or <paramref name="projectId"/>) with a valid token.</summary>
    public TestUser NewUser(string projectId = ProjectA) => ForUser(Guid.NewGuid().ToString(), projectId);

    /// <summary>The same <paramref name="userId"/> seen through a token of <paramref name="projectId"/>.</summary>
    public TestUser ForUser(string userId, string projectId = ProjectA) =>
        new(this, userId, projectId, TokenFor(userId, projectId));

    /// <summary>
    /// A new project administrator of proj-a (or <paramref name="projectId"/>): a user token with
    /// <c>"role": "admin"</c>, as the webhook routes and project streams require.
    /// </summary>
    public TestUser NewAdmin(string projectId = ProjectA) => ForAdmin("admin-" + Guid.NewGuid().ToString("N"), projectId);

    /// <summary>An administrator's token for <paramref name="userId"/> of <paramref name="projectId"/>.</summary>
    public TestUser ForAdmin(string userId, string projectId = ProjectA) =>
        new(this, userId, projectId, TokenFor(userId, projectId, admin: true));

    /// <summary>
    /// A valid RS256 token signed with the project's key, aud = grpcsync.test/&lt;project&gt;; with
    /// <paramref name="admin"/> it also carries <c>"role": "admin"</c>.
    /// </summary>
    public string TokenFor(string userId, string projectId = ProjectA, bool admin = false) =>
        DevelopmentKey.CreateToken(projectId == ProjectB ? KeyB : KeyA, projectId, userId, AudienceHost, TimeSpan.FromMinutes(30), admin);
}

/// <summary>The API-only host on a fresh SQLite file.</summary>
public sealed class SqliteServer() : ServerFixture(TestStore.Sqlite);

/// <summary>The API-only host on a fresh PostgreSQL database.</summary>
public sealed class PostgresServer() : ServerFixture(TestStore.Postgres);
