using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Api.Tests.Telemetry;

/// <summary>
/// The engine host with the Prometheus scrape on (the default) and the Sync counts read every 200 ms instead of
/// 15 s, so a test sees the gauge move without waiting.
/// </summary>
public abstract class MetricsServerFixture(TestStore store) : EngineServerFixture(store)
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["GrpcSync:Telemetry:Metrics:SyncCountInterval"] = "00:00:00.200";
    }
}

/// <summary>The scrape of any test host.</summary>
public static class MetricsScrape
{
    /// <summary>GET /metrics on the host's REST port, without a token; must answer 200.</summary>
    public static async Task<PrometheusText> ScrapeAsync(this ServerFixture server)
    {
        using var response = await server.Http.GetAsync("/metrics");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /metrics -> {(int)response.StatusCode}{Environment.NewLine}{body}");
        return PrometheusText.Parse(body);
    }
}

public sealed class SqliteMetricsServer() : MetricsServerFixture(TestStore.Sqlite);

public sealed class PostgresMetricsServer() : MetricsServerFixture(TestStore.Postgres);
