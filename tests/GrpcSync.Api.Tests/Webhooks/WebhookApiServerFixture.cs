using GrpcSync.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Api.Tests.Webhooks;

/// <summary>
/// The API-only host with spare projects: endpoints belong to a project, so each webhook test takes a project
/// of its own (<see cref="NewProjectAdmin"/>) and lists exactly what it made. The spare projects share proj-a's
/// key (a project is known by its <c>aud</c>; its key only has to verify the signature).
/// <see cref="AllowPrivateNetworks"/> false makes the strict host that refuses non-public webhook addresses.
/// </summary>
public abstract class WebhookApiServerFixture(TestStore store, bool allowPrivateNetworks) : ServerFixture(store)
{
    private const int SpareProjects = 64;
    private int _nextProject;

    public bool AllowPrivateNetworks { get; } = allowPrivateNetworks;

    /// <summary>Every log entry of the host, at every level (secrets must never appear in one).</summary>
    public EveryLogLine Logs { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<ILoggerProvider>(Logs);
        services.Configure<LoggerFilterOptions>(filter =>
        {
            filter.MinLevel = LogLevel.Trace;
            filter.Rules.Clear();
        });
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        var publicKey = KeyA.ExportSubjectPublicKeyInfoPem();
        for (var i = 0; i < SpareProjects; i++)
        {
            settings[$"GrpcSync:Auth:Projects:{SpareProject(i)}:PublicKeyPem"] = publicKey;
        }
        settings["GrpcSync:Webhooks:AllowPrivateNetworks"] = AllowPrivateNetworks ? "true" : "false";
        settings["Logging:LogLevel:Default"] = "Trace";
    }

    /// <summary>An administrator of a project no other test of this host uses.</summary>
    public TestUser NewProjectAdmin()
    {
        var index = Interlocked.Increment(ref _nextProject) - 1;
        if (index >= SpareProjects)
        {
            throw new InvalidOperationException($"More than {SpareProjects} webhook tests on one host: raise SpareProjects.");
        }
        return NewAdmin(SpareProject(index));
    }

    private static string SpareProject(int index) => $"proj-w{index:D2}";
}

/// <summary>Local receivers allowed (http, loopback), as in Development.</summary>
public sealed class SqliteWebhookApiServer() : WebhookApiServerFixture(TestStore.Sqlite, allowPrivateNetworks: true);

public sealed class PostgresWebhookApiServer() : WebhookApiServerFixture(TestStore.Postgres, allowPrivateNetworks: true);

/// <summary>The production default: <c>GrpcSync:Webhooks:AllowPrivateNetworks=false</c>.</summary>
public sealed class SqliteStrictWebhookApiServer() : WebhookApiServerFixture(TestStore.Sqlite, allowPrivateNetworks: false);

public sealed class PostgresStrictWebhookApiServer() : WebhookApiServerFixture(TestStore.Postgres, allowPrivateNetworks: false);
