using System.Net;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Api.Tests.Telemetry;

/// <summary>The scrape switched off, and moved to a port of its own (API-only hosts on SQLite: no storage involved).</summary>
public sealed class MetricsSwitchTests
{
    /// <summary>GrpcSync:Telemetry:Metrics:Enabled=false.</summary>
    public sealed class MetricsOffServer() : ServerFixture(TestStore.Sqlite)
    {
        protected override void Configure(IDictionary<string, string?> settings) =>
            settings["GrpcSync:Telemetry:Metrics:Enabled"] = "false";
    }

    /// <summary>GrpcSync:Telemetry:Metrics:Port set to a free port.</summary>
    public sealed class MetricsPortServer() : ServerFixture(TestStore.Sqlite)
    {
        public int MetricsPort { get; private set; }

        protected override void Configure(IDictionary<string, string?> settings)
        {
            MetricsPort = LoopbackPorts.OneFree();
            settings["GrpcSync:Telemetry:Metrics:Port"] = MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Collection(TelemetryCollection.Name)]
    public sealed class SwitchedOff(MetricsOffServer server) : IClassFixture<MetricsOffServer>
    {
        [Fact]
        public async Task Metrics_WhenSwitchedOff_AreNotFoundInTheErrorShape()
        {
            using var response = await server.Http.GetAsync("/metrics");
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{(int)response.StatusCode} {body}");
            Assert.Contains("\"code\"", body, StringComparison.Ordinal);
            Assert.DoesNotContain("grpcsync_", body, StringComparison.Ordinal);
        }
    }

    [Collection(TelemetryCollection.Name)]
    public sealed class OnItsOwnPort(MetricsPortServer server) : IClassFixture<MetricsPortServer>
    {
        [Fact]
        public async Task Metrics_OnTheirOwnPort_AreServedThereAndNotOnTheRestPort()
        {
            using var own = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}"), Timeout = TimeSpan.FromSeconds(10) };

            var scrape = await Eventually.Until(async () =>
                {
                    using var response = await own.GetAsync("/metrics");
                    return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
                },
                r => r.StatusCode == HttpStatusCode.OK && r.Body.Contains("grpcsync_syncs", StringComparison.Ordinal),
                "the gauge on the metrics port", r => $"{(int)r.StatusCode} {r.Body}", timeout: TimeSpan.FromSeconds(30));
            using var onRest = await server.Http.GetAsync("/metrics");
            using var elsewhere = await own.GetAsync("/api/syncs");

            Assert.Contains("# TYPE grpcsync_syncs gauge", scrape.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, onRest.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode); // the metrics port serves nothing else
        }
    }
}
