using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Storage.Tests;

/// <summary>Webhook deliveries: the relay's fan-out, leased claims, fenced results, endpoint health and disabling.</summary>
public abstract partial class EngineStoreContract
{
    private IWebhookDeliveryStore Deliveries => (IWebhookDeliveryStore)Store;

    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>Writes an endpoint row as the management API would (secrets are opaque protected text here).</summary>
    private async Task<Guid> InsertEndpointAsync(string projectId, string eventTypes = "", bool enabled = true, string url = "https://hooks.example/in")
    {
        var id = Guid.NewGuid();
        await Database.ExecuteAsync($"""
            INSERT INTO webhook_endpoints (id, project_id, url, description, event_types, enabled, secret, created_at, updated_at)
            VALUES ('{id:D}', '{projectId}', '{url}', '', '{eventTypes}', {(enabled ? "TRUE" : "FALSE")}, 'protected-{id:N}', {Ms(T0)}, {Ms(T0)});
            """);
        return id;
    }

    private Task<IReadOnlyList<long>> CountAsync(string where) =>
        Database.QueryLongsAsync($"SELECT COUNT(*) FROM webhook_deliveries WHERE {where}");

    private Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(DateTimeOffset now, int max = 100, int perEndpoint = 100, string owner = "w1",
        IReadOnlyCollection<Guid>? excluded = null, IWebhookDeliveryStore? store = null, IReadOnlyCollection<Guid>? prefetched = null,
        int perPrefetchedEndpoint = 1) =>
        (store ?? Deliveries).ClaimDeliveriesAsync(
            new DeliveryClaim(owner, now, Lease, max, perEndpoint, excluded ?? [], prefetched ?? [], perPrefetchedEndpoint));

    /// <summary>A Sync of Alice's with <paramref name="flips"/> disable/re-enable pairs logged and placed (fanned out).</summary>
    private async Task<Guid> SyncWithPlacedEventsAsync(int flips)
    {
        var (sync, _) = await InsertSyncAsync(Alice, "hooked-" + Guid.NewGuid().ToString("N"));
        await FlipAsync(Alice, sync.Id, flips, T0.AddSeconds(1));
        await PlaceUntilNoneAsync(1000);
        return sync.Id;
    }

    [Fact]
    public async Task Placing_FansEachPlacedEventOutOnce_ToEveryEnabledEndpointOfItsProjectWhoseTypesMatch()
    {
        var all = await InsertEndpointAsync(Alice.ProjectId);
        var disabledOnly = await InsertEndpointAsync(Alice.ProjectId, "sync_disabled run_finished");
        var reenabledOnly = await InsertEndpointAsync(Alice.ProjectId, "sync_reenabled");
        var off = await InsertEndpointAsync(Alice.ProjectId, enabled: false);
        var otherProject = await InsertEndpointAsync(AliceInOtherProject.ProjectId);
        var (sync, _) = await InsertSyncAsync(Alice);
        await FlipAsync(Alice, sync.Id, 2, T0.AddSeconds(1));
        Assert.Equal([0L], await CountAsync("1 = 1")); // not placed: not fanned out

        await PlaceUntilNoneAsync(3);
        await PlaceUntilNoneAsync(3); // nothing left to place: no second fan-out

        Assert.Equal([4L], await CountAsync($"endpoint_id = '{all:D}'"));
        Assert.Equal([2L], await CountAsync($"endpoint_id = '{disabledOnly:D}'"));
        Assert.Equal([2L], await CountAsync($"endpoint_id = '{reenabledOnly:D}'"));
        Assert.Equal([0L], await CountAsync($"endpoint_id IN ('{off:D}', '{otherProject:D}')"));
        Assert.Equal([8L], await CountAsync($"state = 'Pending' AND attempts = 0 AND project_id = '{Alice.ProjectId}'"));

        var claimed = await ClaimAsync(T0.AddSeconds(10));
        Assert.Equal(8, claimed.Count);
        var events = (await Events.ListSyncEventsAsync(Alice, sync.Id, 0, 100))!.Events;
        Assert.Equal(events.Select(e => e.Id).Order(), claimed.Where(c => c.EndpointId == all).Select(c => c.Event!.Id).Order());
        Assert.All(claimed.Where(c => c.EndpointId == disabledOnly), c => Assert.Equal(EventTypes.SyncDisabled, c.Event!.Type));
        Assert.All(claimed.Where(c => c.EndpointId == reenabledOnly), c => Assert.Equal(EventTypes.SyncReenabled, c.Event!.Type));
        Assert.All(claimed, c => Assert.Equal(("https://hooks.example/in", $"protected-{c.EndpointId:N}", true, Alice.ProjectId),
            (c.Url, c.ProtectedSecret, c.EndpointEnabled, c.ProjectId)));
    }

    [Fact]
    public async Task A_delivery_is_due_at_its_events_time_and_a_claim_leases_it_until_the_lease_expires()
    {
        var endpoint = await InsertEndpointAsync(Alice.ProjectId);
        await SyncWithPlacedEventsAsync(1);

        Assert.Empty(await ClaimAsync(T0)); // the events happened after T0
        var first = await ClaimAsync(T0.AddSeconds(5), max: 1);
        var claimed = Assert.Single(first);
        Assert.Equal((endpoint, 0, T0.AddSeconds(5) + Lease), (claimed.EndpointId, claimed.Attempts, claimed.LeaseExpiresAt));

        var second = Assert.Single(await ClaimAsync(T0.AddSeconds(5), owner: "w2"));
        Assert.NotEqual(claimed.Id, second.Id); // a leased delivery is not claimed again
        Assert.Empty(await ClaimAsync(T0.AddSeconds(6), owner: "w3"));

        // The worker died: once the lease expires, both are due again.
        var reclaimed = await ClaimAsync(T0.AddSeconds(5) + Lease, owner: "w3");
        Assert.Equal(new[] { claimed.Id, second.Id }.Order(), reclaimed.Select(c => c.Id).Order());
        // The dead worker's late result is refused (its lease is gone).
        Assert.Equal(0, await Deliveries.RecordDeliveryResultsAsync("w1",
            [Result(claimed, DeliveryState.Succeeded, null, T0.AddSeconds(40), 200, EndpointEffect.Succeeded)]));
        Assert.Equal(1, await Deliveries.RecordDeliveryResultsAsync("w3",
            [Result(reclaimed.Single(c => c.Id == claimed.Id), DeliveryState.Succeeded, null, T0.AddSeconds(40), 200, EndpointEffect.Succeeded)]));
    }

    [Fact]
    public async Task A_claim_takes_at_most_perEndpoint_of_each_endpoint_more_of_prefetched_ones_and_none_of_the_excluded_ones()
    {
        var busy = await InsertEndpointAsync(Alice.ProjectId);
        var quiet = await InsertEndpointAsync(Alice.ProjectId, url: "https://quiet.example/in");
        var fast = await InsertEndpointAsync(Alice.ProjectId, url: "https://fast.example/in");
        var skipped = await InsertEndpointAsync(Alice.ProjectId, url: "https://skipped.example/in");
        await SyncWithPlacedEventsAsync(5); // 10 events to each endpoint

        var claimed = await ClaimAsync(T0.AddMinutes(1), max: 100, perEndpoint: 3, excluded: [skipped], prefetched: [fast], perPrefetchedEndpoint: 5);

        Assert.Equal(3, claimed.Count(c => c.EndpointId == busy));
        Assert.Equal(3, claimed.Count(c => c.EndpointId == quiet));
        Assert.Equal(5, claimed.Count(c => c.EndpointId == fast));
        Assert.DoesNotContain(claimed, c => c.EndpointId == skipped);
        // Oldest first within an endpoint: the first three events of the Sync.
        Assert.Equal([1L, 2L, 3L], claimed.Where(c => c.EndpointId == busy).Select(c => c.Event!.Sequence).Order());
    }

    [Fact]
    public async Task Concurrent_claims_on_several_store_instances_never_hand_one_delivery_to_two_workers()
    {
        await InsertEndpointAsync(Alice.ProjectId);
        await InsertEndpointAsync(Alice.ProjectId, url: "https://second.example/in");
        await SyncWithPlacedEventsAsync(50); // 200 deliveries
        var stores = Enumerable.Range(0, 4).Select(_ => (IWebhookDeliveryStore)Database.OpenStore()).ToArray();

        var claims = await RunTogetherAsync(4, async i =>
        {
            var mine = new List<Guid>();
            IReadOnlyList<ClaimedDelivery> batch;
            do
            {
                batch = await ClaimAsync(T0.AddHours(1), max: 7, owner: "w" + i, store: stores[i]);
                mine.AddRange(batch.Select(c => c.Id));
            }
            while (batch.Count > 0);
            return mine;
        });

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(200, all.Count);
        Assert.Equal(200, all.Distinct().Count());
    }

    [Fact]
    public async Task Results_record_the_attempt_and_the_endpoints_health_and_a_retry_is_due_at_its_next_attempt()
    {
        var endpoint = await InsertEndpointAsync(Alice.ProjectId);
        await SyncWithPlacedEventsAsync(1);
        var claimed = await ClaimAsync(T0.AddMinutes(1));
        var at = T0.AddMinutes(1).AddSeconds(1);

        Assert.Equal(2, await Deliveries.RecordDeliveryResultsAsync("w1",
        [
            Result(claimed[0], DeliveryState.Pending, at.AddSeconds(5), at, 500, EndpointEffect.Failed, "HTTP 500"),
            Result(claimed[1], DeliveryState.Failed, null, at, null, EndpointEffect.Failed, "timeout"),
        ]));

        Assert.Equal([Ms(at)], await Database.QueryLongsAsync($"SELECT failing_since FROM webhook_endpoints WHERE id = '{endpoint:D}'"));
        Assert.Equal([1L], await CountAsync($"state = 'Pending' AND attempts = 1 AND last_status_code = 500 AND last_error = 'HTTP 500' AND last_attempt_at = {Ms(at)} AND lease_owner IS NULL"));
        Assert.Equal([1L], await CountAsync("state = 'Failed' AND last_status_code IS NULL AND last_error = 'timeout'"));
        Assert.Empty(await ClaimAsync(at.AddSeconds(4)));
        var retry = Assert.Single(await ClaimAsync(at.AddSeconds(5)));
        Assert.Equal((claimed[0].Id, 1), (retry.Id, retry.Attempts));

        // A later failure keeps the first failure time; a success clears it.
        Assert.Equal(1, await Deliveries.RecordDeliveryResultsAsync("w1",
            [Result(retry, DeliveryState.Succeeded, null, at.AddSeconds(6), 204, EndpointEffect.Succeeded)]));
        Assert.Equal([Ms(at.AddSeconds(6))], await Database.QueryLongsAsync($"SELECT last_success_at FROM webhook_endpoints WHERE id = '{endpoint:D}' AND failing_since IS NULL"));
        Assert.Equal([1L], await CountAsync("state = 'Succeeded' AND attempts = 2 AND last_status_code = 204"));
    }

    [Fact]
    public async Task Gone_disables_the_endpoint_and_fails_its_pending_deliveries_and_the_fan_out_skips_it_from_then_on()
    {
        var gone = await InsertEndpointAsync(Alice.ProjectId);
        var healthy = await InsertEndpointAsync(Alice.ProjectId, url: "https://healthy.example/in");
        var syncId = await SyncWithPlacedEventsAsync(2);
        var claimed = await ClaimAsync(T0.AddMinutes(1), max: 1, excluded: [healthy]);
        var at = T0.AddMinutes(2);

        Assert.Equal(1, await Deliveries.RecordDeliveryResultsAsync("w1",
            [Result(claimed[0], DeliveryState.Failed, null, at, 410, EndpointEffect.Gone, "HTTP 410 Gone", "410 Gone at T")]));

        Assert.Equal([0L], await Database.QueryLongsAsync($"SELECT COUNT(*) FROM webhook_endpoints WHERE id = '{gone:D}' AND enabled"));
        Assert.Equal([1L], await Database.QueryLongsAsync($"SELECT COUNT(*) FROM webhook_endpoints WHERE id = '{gone:D}' AND disabled_reason = '410 Gone at T'"));
        Assert.Equal([4L], await CountAsync($"endpoint_id = '{gone:D}' AND state = 'Failed'"));
        Assert.Equal([4L], await CountAsync($"endpoint_id = '{healthy:D}' AND state = 'Pending'"));
        await FlipAsync(Alice, syncId, 1, T0.AddMinutes(3));
        await PlaceUntilNoneAsync(100);
        Assert.Equal([4L], await CountAsync($"endpoint_id = '{gone:D}'"));
        Assert.Equal([6L], await CountAsync($"endpoint_id = '{healthy:D}'"));
    }

    [Fact]
    public async Task Endpoints_failing_since_the_cutoff_are_disabled_with_their_reason_and_their_deliveries_failed_not_dropped()
    {
        var old = await InsertEndpointAsync(Alice.ProjectId);
        var recent = await InsertEndpointAsync(Alice.ProjectId, url: "https://recent.example/in");
        await SyncWithPlacedEventsAsync(1);
        await Database.ExecuteAsync($"UPDATE webhook_endpoints SET failing_since = {Ms(T0)} WHERE id = '{old:D}';" +
                                    $"UPDATE webhook_endpoints SET failing_since = {Ms(T0.AddDays(1))} WHERE id = '{recent:D}';");

        var disabled = await Deliveries.DisableFailingEndpointsAsync(T0.AddHours(1), T0.AddDays(5), since => $"no success since {since:O}");

        var one = Assert.Single(disabled);
        Assert.Equal((old, Alice.ProjectId, T0, $"no success since {T0:O}"), (one.Id, one.ProjectId, one.FailingSince, one.Reason));
        Assert.Equal([2L], await CountAsync($"endpoint_id = '{old:D}' AND state = 'Failed' AND last_error = 'no success since {T0:O}'"));
        Assert.Equal([2L], await CountAsync($"endpoint_id = '{recent:D}' AND state = 'Pending'"));
        Assert.Empty(await Deliveries.DisableFailingEndpointsAsync(T0.AddHours(1), T0.AddDays(5), since => "again"));
    }

    private static DeliveryResult Result(ClaimedDelivery c, DeliveryState state, DateTimeOffset? next, DateTimeOffset at, int? code,
        EndpointEffect effect, string? error = null, string? disabledReason = null) =>
        new(c.Id, c.EndpointId, c.Attempts, c.Attempts + 1, state, next, at, code, error, effect, disabledReason);
}
