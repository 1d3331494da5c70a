using System.Collections.Concurrent;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Api.Tests.Telemetry;

/// <summary>Webhook deliveries on /metrics: each attempt by outcome, and the lag of each successful one.</summary>
public abstract class WebhookMetricsTests(WebhookServerFixture server) : EngineApiTest(server)
{
    [Collection(TelemetryCollection.Name)]
    public sealed class OnSqlite(SqliteWebhookServer server) : WebhookMetricsTests(server), IClassFixture<SqliteWebhookServer>;

    [Collection(TelemetryCollection.Name)]
    public sealed class OnPostgres(PostgresWebhookServer server) : WebhookMetricsTests(server), IClassFixture<PostgresWebhookServer>;

    [Fact]
    public async Task Deliveries_AreCountedByOutcome_AndSuccessesRecordTheirLag()
    {
        var hooks = (WebhookServerFixture)Server;
        var secret = WebhookServerFixture.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync(secret);
        var seen = new ConcurrentDictionary<string, bool>();
        receiver.Answer = arrival => seen.TryAdd(arrival.Id, true) ? new WebhookAnswer(500) : WebhookAnswer.Ok; // each event fails once
        var endpoint = await hooks.AddEndpointAsync(receiver.Url, secret);
        try
        {
            var before = await Server.ScrapeAsync();

            await NewSyncedAccount(a => a.Write("a.txt", "a")); // its INITIAL run logs three events

            var after = await Eventually.Until(Server.ScrapeAsync,
                s => s.Sum("grpcsync_webhook_deliveries_total", ("outcome", "succeeded")) - before.Sum("grpcsync_webhook_deliveries_total", ("outcome", "succeeded")) >= 3,
                "three successful deliveries", s => string.Join(Environment.NewLine, s.Matching("grpcsync_webhook_deliveries_total")),
                context: () => Server.EngineLog());
            Assert.Equal(3, Moved(before, after, "grpcsync_webhook_deliveries_total", ("outcome", "retrying")));
            Assert.Equal(3, Moved(before, after, "grpcsync_webhook_deliveries_total", ("outcome", "succeeded")));
            Assert.Equal(0, Moved(before, after, "grpcsync_webhook_deliveries_total", ("outcome", "failed")));
            Assert.Equal(3, Moved(before, after, "grpcsync_webhook_delivery_lag_seconds_count"));
            // Each waited out one retry (about 0.3 s) before it succeeded.
            Assert.True(Moved(before, after, "grpcsync_webhook_delivery_lag_seconds_sum") >= 3 * 0.2, after.Text);
        }
        finally
        {
            await hooks.RemoveEndpointAsync(endpoint);
        }
    }

    private static double Moved(PrometheusText before, PrometheusText after, string name, params (string, string)[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);
}
