using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Webhooks;

/// <summary>
/// The delivery log over both transports against real deliveries (engine, relay and workers running, a real
/// receiver on loopback, the fixture's short retry schedule): a failing receiver until the delivery is FAILED,
/// the list showing its attempts and last answer, redelivery with the same webhook-id, paging and the state
/// filter, and redelivery refused while the endpoint is disabled or an attempt is in flight.
/// </summary>
public abstract class WebhookDeliveryLogTests(WebhookServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteWebhookServer server) : WebhookDeliveryLogTests(server), IClassFixture<SqliteWebhookServer>;

    public sealed class OnPostgres(PostgresWebhookServer server) : WebhookDeliveryLogTests(server), IClassFixture<PostgresWebhookServer>;

    private WebhookServerFixture Hooks => (WebhookServerFixture)Server;

    private static string SyncOf(WebhookArrival a) => JsonDocument.Parse(a.Body).RootElement.GetProperty("syncInstanceId").GetString()!;

    private Task<List<WebhookArrival>> WaitForArrivals(WebhookReceiver receiver, string syncId, int count) =>
        Eventually.Until(() => Task.FromResult(receiver.Arrivals.Where(a => SyncOf(a) == syncId).ToList()), a => a.Count >= count,
            $"{count} webhook arrivals for Sync {syncId}", a => $"{a.Count} arrived", context: () => Server.EngineLog());

    private Task<List<WebhookDelivery>> WaitForListed(TestUser admin, Transport transport, Guid endpoint, string state, int count) =>
        Eventually.Until(async () => (await admin.ListWebhookDeliveries(transport, endpoint.ToString(), state: state)).Ok().Data.ToList(),
            d => d.Count == count, $"{count} {state} deliveries listed", d => string.Join(", ", d.Select(x => $"{x.State}/{x.Attempts}")),
            context: () => Server.EngineLog());

    [Theory, BothTransports]
    public async Task A_delivery_failed_after_its_schedule_is_listed_with_its_last_answer_and_redelivered_with_the_same_webhook_id(Transport transport)
    {
        var synced = await NewSyncedAccount(a => a.Write("a.txt", "a"));
        var secret = WebhookServerFixture.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync(secret);
        var endpoint = await Hooks.AddEndpointAsync(receiver.Url, secret, "sync_disabled"); // not the runs' events of the schedule
        var admin = Server.NewAdmin();
        try
        {
            var healthy = 0;
            receiver.Answer = _ => Volatile.Read(ref healthy) == 1 ? WebhookAnswer.Ok : new WebhookAnswer(500);
            (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();

            var failed = Assert.Single(await WaitForListed(admin, transport, endpoint, "failed", 1));
            var tries = await WaitForArrivals(receiver, synced.SyncId, 4);
            Assert.Equal((WebhookDeliveryState.Failed, 4, 500, "sync_disabled", tries[0].Id, endpoint.ToString()),
                (failed.State, failed.Attempts, failed.LastStatusCode, failed.EventType, failed.EventId, failed.WebhookId));
            Assert.Contains("retry schedule exhausted after 4 attempts", failed.LastError, StringComparison.Ordinal);
            Assert.Null(failed.NextAttemptAt);
            Assert.InRange(failed.LastAttemptAt.ToDateTimeOffset(), failed.CreatedAt.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddSeconds(5));
            Assert.Equal([failed.Id], (await admin.ListWebhookDeliveries(transport, endpoint.ToString())).Ok().Data.Select(d => d.Id));
            Assert.Empty((await admin.ListWebhookDeliveries(transport, endpoint.ToString(), state: "pending")).Ok().Data);

            Volatile.Write(ref healthy, 1);
            var redelivered = await admin.RedeliverWebhookDelivery(transport, endpoint.ToString(), failed.Id);
            var queued = redelivered.Ok();
            Assert.Equal((failed.Id, WebhookDeliveryState.Pending, 0, 500), (queued.Id, queued.State, queued.Attempts, queued.LastStatusCode));
            Assert.NotNull(queued.NextAttemptAt);
            if (transport == Transport.Rest)
            {
                var json = redelivered.RestJson();
                Assert.Equal("PENDING", json.GetProperty("state").GetString());
                Assert.Equal(500, json.GetProperty("lastStatusCode").GetInt32());
                Assert.Equal(failed.EventId, json.GetProperty("eventId").GetString());
            }

            var arrivals = await WaitForArrivals(receiver, synced.SyncId, 5);
            Assert.Single(arrivals.Select(a => a.Id).Distinct()); // the same webhook-id as every earlier attempt
            Assert.All(arrivals, a => Assert.True(a.Verified));
            Assert.Equal(5, arrivals[^1].AttemptOfId);
            var succeeded = Assert.Single(await WaitForListed(admin, transport, endpoint, "succeeded", 1));
            Assert.Equal((failed.Id, 1, 204, false), (succeeded.Id, succeeded.Attempts, succeeded.LastStatusCode, succeeded.HasLastError));
            Assert.Null(succeeded.NextAttemptAt);
            await Task.Delay(500);
            Assert.Equal(5, receiver.Arrivals.Count(a => SyncOf(a) == synced.SyncId)); // sent once more, not again and again
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    [Theory, BothTransports]
    public async Task Deliveries_page_newest_first_filter_by_state_and_redelivery_is_refused_while_disabled_or_in_flight(Transport transport)
    {
        var synced = await NewSyncedAccount(a => a.Write("a.txt", "a"));
        var secret = WebhookServerFixture.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync(secret);
        var endpoint = await Hooks.AddEndpointAsync(receiver.Url, secret, "sync_disabled sync_reenabled");
        var admin = Server.NewAdmin();
        try
        {
            receiver.Answer = a => a.Body.Contains("\"event\":\"sync_disabled\"", StringComparison.Ordinal) ? new WebhookAnswer(500) : WebhookAnswer.Ok;
            for (var i = 0; i < 2; i++)
            {
                (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();
                (await synced.User.ReenableSync(Transport.Grpc, synced.SyncId)).Ok();
            }

            var failed = await WaitForListed(admin, transport, endpoint, "FAILED", 2);
            var succeeded = await WaitForListed(admin, transport, endpoint, "Succeeded", 2);
            Assert.All(failed, d => Assert.Equal(("sync_disabled", WebhookDeliveryState.Failed), (d.EventType, d.State)));
            Assert.All(succeeded, d => Assert.Equal(("sync_reenabled", WebhookDeliveryState.Succeeded), (d.EventType, d.State)));

            var seen = new List<WebhookDelivery>();
            var token = "";
            var pages = 0;
            do
            {
                var page = (await admin.ListWebhookDeliveries(transport, endpoint.ToString(), pageSize: 1, pageToken: token)).Ok();
                seen.AddRange(page.Data);
                token = page.NextPageToken;
                pages++;
            }
            while (token.Length > 0);
            Assert.Equal(4, pages);
            Assert.Equal(failed.Concat(succeeded).Select(d => d.Id).Order(), seen.Select(d => d.Id).Order());
            Assert.Equal(seen.Select(d => d.CreatedAt.ToDateTimeOffset()).OrderDescending(), seen.Select(d => d.CreatedAt.ToDateTimeOffset()));
            Assert.Equal("sync_reenabled", seen[0].EventType); // the newest event first

            // A worker holding the delivery (simulated: a lease that runs for another minute).
            var until = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            await Hooks.ExecuteSqlAsync($"UPDATE webhook_deliveries SET lease_owner = 'elsewhere', lease_expires_at = {until} WHERE id = '{failed[0].Id}'");
            var inFlight = (await admin.RedeliverWebhookDelivery(transport, endpoint.ToString(), failed[0].Id)).Fails(StatusCode.FailedPrecondition);
            Assert.Equal("DELIVERY_IN_FLIGHT", inFlight.Reason());
            await Hooks.ExecuteSqlAsync($"UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE id = '{failed[0].Id}'");

            (await admin.UpdateWebhook(Transport.Grpc, endpoint.ToString(), enabled: false)).Ok();
            var disabled = (await admin.RedeliverWebhookDelivery(transport, endpoint.ToString(), failed[1].Id)).Fails(StatusCode.FailedPrecondition);
            Assert.Equal("WEBHOOK_DISABLED", disabled.Reason());
            Assert.Equal(2, (await admin.ListWebhookDeliveries(transport, endpoint.ToString(), state: "failed")).Ok().Data.Count); // unchanged
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }
}
