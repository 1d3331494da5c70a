using GrpcSync.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>
/// The API-only host of <see cref="ServerFixture"/>, with its log entries captured for the storms' "no fail: lines" check.
/// On SQLite only: the storms test the edge, which is the same code in front of either store (the suites by name run on both).
/// </summary>
public sealed class FuzzServerFixture() : ServerFixture(TestStore.Sqlite)
{
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        // The base fixture clears the logging providers before this runs; the LoggerFactory picks this one up from DI.
        services.AddSingleton<ILoggerProvider>(Logs);
    }
}

/// <summary>The storms run one after the other: each saturates the two cores, and each bounds its own wall time.</summary>
[CollectionDefinition(Name)]
public sealed class FuzzStormCollection
{
    public const string Name = "Fuzz storms";
}
