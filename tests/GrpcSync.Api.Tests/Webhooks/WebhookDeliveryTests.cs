using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Api.Tests.Webhooks;

/// <summary>
/// Webhook delivery end to end: API and engine changes log events, the relay fans them out, the delivery
/// workers send them to a real receiver on a loopback socket, which verifies every signature itself and
/// answers as each test scripts it (500, timeouts, 429 with Retry-After, 410), and to the npm svix verifier.
/// </summary>
public abstract class WebhookDeliveryTests(WebhookServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteWebhookServer server) : WebhookDeliveryTests(server), IClassFixture<SqliteWebhookServer>;

    public sealed class OnPostgres(PostgresWebhookServer server) : WebhookDeliveryTests(server), IClassFixture<PostgresWebhookServer>;

    private WebhookServerFixture Hooks => (WebhookServerFixture)Server;

    private static JsonElement Json(WebhookArrival a) => JsonDocument.Parse(a.Body).RootElement;

    private static List<WebhookArrival> Of(WebhookReceiver receiver, string syncId) =>
        receiver.Arrivals.Where(a => Json(a).GetProperty("syncInstanceId").GetString() == syncId).ToList();

    /// <summary>Waits until the receiver holds <paramref name="count"/> arrivals of the Sync (or more).</summary>
    private Task<List<WebhookArrival>> WaitForArrivals(WebhookReceiver receiver, string syncId, int count, TimeSpan? timeout = null) =>
        Eventually.Until(() => Task.FromResult(Of(receiver, syncId)), a => a.Count >= count,
            $"{count} webhook arrivals for Sync {syncId}", a => $"{a.Count} arrived", timeout, context: () => Server.EngineLog());

    /// <summary>An idle Sync whose INITIAL run is over (its three events logged before any endpoint of the test exists).</summary>
    private async Task<SyncedAccount> QuietSyncAsync() => await NewSyncedAccount(a => a.Write("a.txt", "a"));

    private async Task<(WebhookReceiver Receiver, Guid Endpoint, string Secret)> NewEndpointAsync(string eventTypes = "")
    {
        var secret = WebhookServerFixture.NewSecret();
        var receiver = await WebhookReceiver.StartAsync(secret);
        var endpoint = await Hooks.AddEndpointAsync(receiver.Url, secret, eventTypes);
        return (receiver, endpoint, secret);
    }

    [Fact]
    public async Task Events_arrive_once_each_signed_with_standard_webhooks_headers_and_the_listed_json_as_body()
    {
        var (receiver, endpoint, _) = await NewEndpointAsync();
        await using var _r = receiver;
        try
        {
            var synced = await NewSyncedAccount(a => a.Write("a.txt", "a"));

            var arrivals = await WaitForArrivals(receiver, synced.SyncId, 3);

            var listed = (await synced.User.ListSyncEvents(Transport.Grpc, synced.SyncId)).Ok().Data;
            Assert.Equal(listed.Select(e => e.Fields["eventId"].StringValue).Order(), arrivals.Select(a => a.Id).Order());
            foreach (var arrival in arrivals)
            {
                Assert.True(arrival.Verified, $"signature {arrival.Signature} does not verify");
                Assert.Equal("application/json", arrival.ContentType);
                Assert.Equal(arrival.Id, Json(arrival).GetProperty("eventId").GetString());
                var sent = DateTimeOffset.FromUnixTimeSeconds(long.Parse(arrival.Timestamp, CultureInfo.InvariantCulture));
                Assert.InRange(sent, arrival.At.AddSeconds(-5), arrival.At.AddSeconds(5));
                var same = listed.Single(e => e.Fields["eventId"].StringValue == arrival.Id);
                Assert.Equal((same.Fields["event"].StringValue, (long)same.Fields["sequence"].NumberValue, same.Fields["timestamp"].StringValue),
                    (Json(arrival).GetProperty("event").GetString(), Json(arrival).GetProperty("sequence").GetInt64(),
                     Json(arrival).GetProperty("timestamp").GetString()));
            }
            var deliveries = await Eventually.Until(() => Hooks.DeliveriesAsync(endpoint), d => d.All(x => x.State == "Succeeded"),
                "every delivery Succeeded", d => string.Join(", ", d));
            Assert.Equal(Enumerable.Repeat(("Succeeded", 1L, (long?)204, (string?)null), 3), deliveries);
            await Task.Delay(500);
            Assert.Equal(3, Of(receiver, synced.SyncId).Count); // no duplicate once answered
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task Every_retry_of_a_failing_delivery_carries_the_same_webhook_id_a_new_timestamp_and_a_valid_signature()
    {
        var synced = await QuietSyncAsync();
        var (receiver, endpoint, _) = await NewEndpointAsync();
        await using var _r = receiver;
        try
        {
            receiver.Answer = a => a.AttemptOfId < 3 ? new WebhookAnswer(500) : WebhookAnswer.Ok;

            (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();

            var arrivals = await WaitForArrivals(receiver, synced.SyncId, 3);
            Assert.Single(arrivals.Select(a => a.Id).Distinct());
            Assert.Equal([1, 2, 3], arrivals.Select(a => a.AttemptOfId));
            Assert.All(arrivals, a => Assert.True(a.Verified));
            Assert.Single(arrivals.Select(a => a.Body).Distinct()); // the same bytes each time
            // Retries wait the schedule (0.3 s, then 0.6 s, ±10 %).
            Assert.InRange((arrivals[1].At - arrivals[0].At).TotalMilliseconds, 250, 3000);
            Assert.InRange((arrivals[2].At - arrivals[1].At).TotalMilliseconds, 520, 3000);
            var delivery = Assert.Single(await Eventually.Until(() => Hooks.DeliveriesAsync(endpoint), d => d is [{ State: "Succeeded" }],
                "the delivery to succeed", d => string.Join(", ", d)));
            Assert.Equal(("Succeeded", 3L, (long?)204), (delivery.State, delivery.Attempts, delivery.Code));
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task A_timeout_is_a_failed_attempt_that_is_retried()
    {
        var synced = await QuietSyncAsync();
        var (receiver, endpoint, _) = await NewEndpointAsync();
        await using var _r = receiver;
        try
        {
            receiver.Answer = a => a.AttemptOfId == 1 ? new WebhookAnswer(200, Delay: TimeSpan.FromSeconds(4)) : WebhookAnswer.Ok;

            (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();

            var arrivals = await WaitForArrivals(receiver, synced.SyncId, 2);
            Assert.Single(arrivals.Select(a => a.Id).Distinct());
            Assert.InRange((arrivals[1].At - arrivals[0].At).TotalSeconds, 1.5, 3.9); // after the 1.5 s timeout, not the 4 s answer
            var delivery = Assert.Single(await Eventually.Until(() => Hooks.DeliveriesAsync(endpoint), d => d is [{ State: "Succeeded" }],
                "the delivery to succeed", d => string.Join(", ", d)));
            Assert.Equal(2L, delivery.Attempts);
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task Retry_after_on_429_is_honoured_when_later_than_the_schedule()
    {
        var synced = await QuietSyncAsync();
        var (receiver, endpoint, _) = await NewEndpointAsync();
        await using var _r = receiver;
        try
        {
            receiver.Answer = a => a.AttemptOfId == 1
                ? new WebhookAnswer(429, new Dictionary<string, string> { ["Retry-After"] = "2" })
                : WebhookAnswer.Ok;

            (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();

            var arrivals = await WaitForArrivals(receiver, synced.SyncId, 2);
            Assert.InRange((arrivals[1].At - arrivals[0].At).TotalSeconds, 1.9, 6); // 2 s asked; the schedule said 0.3 s
            Assert.Equal(arrivals[0].Id, arrivals[1].Id);
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task After_the_schedule_the_delivery_is_failed_with_its_last_answer_and_kept()
    {
        var synced = await QuietSyncAsync();
        var (receiver, endpoint, _) = await NewEndpointAsync();
        await using var _r = receiver;
        try
        {
            receiver.Answer = _ => new WebhookAnswer(500);

            (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();

            var delivery = Assert.Single(await Eventually.Until(() => Hooks.DeliveriesAsync(endpoint), d => d is [{ State: "Failed" }],
                "the delivery to fail", d => string.Join(", ", d)));
            Assert.Equal(("Failed", 4L, (long?)500), (delivery.State, delivery.Attempts, delivery.Code));
            Assert.Contains("retry schedule exhausted after 4 attempts", delivery.Error, StringComparison.Ordinal);
            Assert.Equal(4, Of(receiver, synced.SyncId).Count); // the first attempt and the schedule's three retries
            Assert.True((await Hooks.EndpointStateAsync(endpoint)).Enabled); // failing, but not for DisableAfter yet
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task Gone_disables_the_endpoint_with_its_reason_and_later_events_are_not_sent_to_it()
    {
        var synced = await QuietSyncAsync();
        var (receiver, endpoint, _) = await NewEndpointAsync();
        await using var _r = receiver;
        try
        {
            receiver.Answer = _ => new WebhookAnswer(410);

            (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();

            var state = await Eventually.Until(() => Hooks.EndpointStateAsync(endpoint), s => !s.Enabled, "the endpoint to be disabled",
                s => s.ToString(), context: () => Server.EngineLog());
            Assert.StartsWith("the endpoint answered 410 Gone at 20", state.Reason, StringComparison.Ordinal);
            Assert.Equal([("Failed", 1L, (long?)410)], (await Hooks.DeliveriesAsync(endpoint)).Select(d => (d.State, d.Attempts, d.Code)));
            await Eventually.Until(() => Task.FromResult(Server.EngineLog(2000)),
                log => log.Contains($"Webhook endpoint {endpoint} of project proj-a answered 410 Gone: it is disabled", StringComparison.Ordinal),
                "the warning that the endpoint is gone", log => log);

            (await synced.User.ReenableSync(Transport.Grpc, synced.SyncId)).Ok();
            await Task.Delay(1000);
            Assert.Single(Of(receiver, synced.SyncId));
            Assert.Single(await Hooks.DeliveriesAsync(endpoint));
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task An_endpoint_failing_longer_than_DisableAfter_is_disabled_loudly_and_its_deliveries_are_failed_not_dropped()
    {
        var synced = await QuietSyncAsync();
        var (receiver, endpoint, _) = await NewEndpointAsync();
        await using var _r = receiver;
        try
        {
            receiver.Answer = _ => new WebhookAnswer(503);
            (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();
            await WaitForArrivals(receiver, synced.SyncId, 1);

            var sixDaysAgo = DateTimeOffset.UtcNow.AddDays(-6).ToUnixTimeMilliseconds();
            await Hooks.ExecuteSqlAsync($"UPDATE webhook_endpoints SET failing_since = {sixDaysAgo} WHERE id = '{endpoint:D}'");

            var state = await Eventually.Until(() => Hooks.EndpointStateAsync(endpoint), s => !s.Enabled, "the endpoint to be disabled",
                s => s.ToString(), context: () => Server.EngineLog());
            Assert.StartsWith("no successful delivery since ", state.Reason, StringComparison.Ordinal);
            Assert.Contains("GrpcSync:Webhooks:DisableAfter is 5.00:00:00", state.Reason, StringComparison.Ordinal);
            await Eventually.Until(() => Task.FromResult(Server.EngineLog(2000)),
                log => log.Contains($"Webhook endpoint {endpoint} of project proj-a is disabled: no successful delivery since", StringComparison.Ordinal),
                "the warning that the endpoint is disabled", log => log);
            var delivery = Assert.Single(await Eventually.Until(() => Hooks.DeliveriesAsync(endpoint), d => d is [{ State: "Failed" }],
                "the delivery to be Failed", d => string.Join(", ", d)));
            Assert.Equal("Failed", delivery.State);
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task A_slow_endpoint_holds_only_its_own_slots_and_does_not_delay_a_fast_one()
    {
        var synced = await QuietSyncAsync();
        var (slow, slowEndpoint, _) = await NewEndpointAsync();
        var (fast, fastEndpoint, _) = await NewEndpointAsync();
        await using var _s = slow;
        await using var _f = fast;
        try
        {
            slow.Answer = _ => new WebhookAnswer(200, Delay: TimeSpan.FromSeconds(1.2));
            var started = Stopwatch.StartNew();
            for (var i = 0; i < 5; i++) // 10 events
            {
                (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();
                (await synced.User.ReenableSync(Transport.Grpc, synced.SyncId)).Ok();
            }

            await WaitForArrivals(fast, synced.SyncId, 10);
            var fastDone = started.Elapsed;
            var slowSoFar = Of(slow, synced.SyncId).Count;
            await WaitForArrivals(slow, synced.SyncId, 10, TimeSpan.FromSeconds(30));

            // The slow one answers two at a time (MaxConcurrencyPerEndpoint = 2), 1.2 s each: ≥ 6 s for ten.
            Assert.True(slowSoFar < 10, $"the slow endpoint had all {slowSoFar} when the fast one was done after {fastDone}");
            Assert.True(fastDone < TimeSpan.FromSeconds(4), $"the fast endpoint took {fastDone}");
            Assert.Equal(2, slow.MaxInFlight);
            Assert.Equal(0, slow.ConcurrentDuplicates + fast.ConcurrentDuplicates);
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(slowEndpoint);
            await Hooks.RemoveEndpointAsync(fastEndpoint);
        }
    }

    [Fact]
    public async Task During_a_rotation_each_delivery_is_signed_by_both_secrets()
    {
        var synced = await QuietSyncAsync();
        var current = WebhookServerFixture.NewSecret();
        var previous = WebhookServerFixture.NewSecret();
        await using var receiver = await WebhookReceiver.StartAsync(current, previous);
        var endpoint = await Hooks.AddEndpointAsync(receiver.Url, current, previousSecret: previous);
        try
        {
            (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();

            var arrival = Assert.Single(await WaitForArrivals(receiver, synced.SyncId, 1));
            Assert.Equal(2, arrival.Signature.Split(' ').Length);
            Assert.Equal(2, arrival.SignaturesMatched); // one entry per secret: a receiver on either accepts it
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    [Fact]
    public async Task The_npm_svix_verifier_accepts_every_delivery_and_refuses_a_tampered_one()
    {
        var (receiver, endpoint, secret) = await NewEndpointAsync();
        await using var _r = receiver;
        try
        {
            var synced = await NewSyncedAccount(a => a.Write("a.txt", "a"));
            (await synced.User.DisableSync(Transport.Grpc, synced.SyncId)).Ok();

            var arrivals = await WaitForArrivals(receiver, synced.SyncId, 4);

            foreach (var arrival in arrivals)
            {
                var verified = await SvixVerifyAsync(secret, arrival.Body, arrival);
                Assert.True(verified.ExitCode == 0, verified.Both);
                Assert.Equal(arrival.Id, verified.StdOut); // svix returns the parsed payload: its eventId
            }
            var tampered = await SvixVerifyAsync(secret, arrivals[0].Body.Replace("\"sequence\":", "\"sequence\": ", StringComparison.Ordinal), arrivals[0]);
            Assert.NotEqual(0, tampered.ExitCode);
            Assert.Contains("No matching signature", tampered.StdErr, StringComparison.Ordinal);
            var wrongKey = await SvixVerifyAsync(WebhookServerFixture.NewSecret(), arrivals[0].Body, arrivals[0]);
            Assert.NotEqual(0, wrongKey.ExitCode);
        }
        finally
        {
            await Hooks.RemoveEndpointAsync(endpoint);
        }
    }

    private static Task<CommandResult> SvixVerifyAsync(string secret, string body, WebhookArrival arrival) =>
        ExternalCommand.RunAsync("node", [Path.Combine(RepoPaths.RepoRoot, "tests", "svix", "verify.mjs")], TimeSpan.FromSeconds(30),
            RepoPaths.RepoRoot, JsonSerializer.Serialize(new
            {
                secret,
                body,
                headers = new Dictionary<string, string>
                {
                    ["webhook-id"] = arrival.Id,
                    ["webhook-timestamp"] = arrival.Timestamp,
                    ["webhook-signature"] = arrival.Signature,
                },
            }));
}
