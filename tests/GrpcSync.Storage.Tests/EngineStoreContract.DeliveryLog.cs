using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Storage.Tests;

/// <summary>
/// An endpoint's delivery log as the management API reads it (newest first, state filter, keyset pages, project
/// scope) and redelivery under the delivery's row lock, fenced against a worker's lease.
/// </summary>
public abstract partial class EngineStoreContract
{
    private IWebhookStore Hooks => (IWebhookStore)Store;

    private Task<WebhookDelivery?> RedeliverAsync(Guid endpoint, Guid delivery, DateTimeOffset now, string? projectId = null,
        IWebhookStore? store = null) =>
        (store ?? Hooks).MutateDeliveryAsync(projectId ?? Alice.ProjectId, endpoint, delivery, (e, d) => RedeliveryRules.Redeliver(e, d, now));

    private async Task<List<WebhookDelivery>> AllPagesAsync(Guid endpoint, DeliveryState? state, int pageSize)
    {
        var all = new List<WebhookDelivery>();
        DeliveryPosition? before = null;
        while (true)
        {
            var page = await Hooks.ListDeliveriesAsync(Alice.ProjectId, endpoint, state, before, pageSize);
            Assert.InRange(page.Count, 0, pageSize);
            all.AddRange(page);
            if (page.Count < pageSize)
            {
                return all;
            }
            before = new DeliveryPosition(page[^1].CreatedAt, page[^1].Id);
        }
    }

    [Fact]
    public async Task Deliveries_are_listed_newest_first_in_keyset_pages_with_their_last_attempt_and_filtered_by_state()
    {
        var endpoint = await InsertEndpointAsync(Alice.ProjectId);
        var other = await InsertEndpointAsync(Alice.ProjectId, url: "https://other.example/in");
        await SyncWithPlacedEventsAsync(3); // 6 events to each endpoint
        var claimed = (await ClaimAsync(T0.AddMinutes(1), excluded: [other])).OrderBy(c => c.Event!.Sequence).ToList();
        var at = T0.AddMinutes(1).AddSeconds(1);
        Assert.Equal(3, await Deliveries.RecordDeliveryResultsAsync("w1",
        [
            Result(claimed[0], DeliveryState.Succeeded, null, at, 204, EndpointEffect.Succeeded),
            Result(claimed[1], DeliveryState.Failed, null, at, 500, EndpointEffect.Failed, "HTTP 500 (retry schedule exhausted after 1 attempts)"),
            Result(claimed[2], DeliveryState.Pending, at.AddSeconds(30), at, 429, EndpointEffect.Failed, "HTTP 429"),
        ]));

        var unpaged = await Hooks.ListDeliveriesAsync(Alice.ProjectId, endpoint, null, null, 100);
        Assert.Equal(6, unpaged.Count);
        Assert.Equal(unpaged.Select(d => d.CreatedAt).OrderDescending(), unpaged.Select(d => d.CreatedAt));
        Assert.Equal(unpaged.Select(d => d.Id), (await AllPagesAsync(endpoint, null, 4)).Select(d => d.Id));
        Assert.Equal(unpaged.Select(d => d.Id), (await AllPagesAsync(endpoint, null, 1)).Select(d => d.Id));
        Assert.All(unpaged, d => Assert.Equal((endpoint, Alice.ProjectId), (d.EndpointId, d.ProjectId)));
        Assert.Equal(claimed.Select(c => c.Event!.Id).Order(), unpaged.Select(d => d.EventId).Order());
        Assert.All(unpaged, d => Assert.Equal(claimed.Single(c => c.Id == d.Id).Event!.Type, d.EventType));

        var failed = Assert.Single(await AllPagesAsync(endpoint, DeliveryState.Failed, 2));
        Assert.Equal((claimed[1].Id, 1, (int?)500, (DateTimeOffset?)at, (DateTimeOffset?)null),
            (failed.Id, failed.Attempts, failed.LastStatusCode, failed.LastAttemptAt, failed.NextAttemptAt));
        Assert.Equal("HTTP 500 (retry schedule exhausted after 1 attempts)", failed.LastError);
        var succeeded = Assert.Single(await AllPagesAsync(endpoint, DeliveryState.Succeeded, 2));
        Assert.Equal((claimed[0].Id, 1, (int?)204, (string?)null), (succeeded.Id, succeeded.Attempts, succeeded.LastStatusCode, succeeded.LastError));
        var pending = await AllPagesAsync(endpoint, DeliveryState.Pending, 2);
        Assert.Equal(4, pending.Count);
        var retrying = pending.Single(d => d.Id == claimed[2].Id);
        Assert.Equal((1, (int?)429, (DateTimeOffset?)at.AddSeconds(30), (DateTimeOffset?)null),
            (retrying.Attempts, retrying.LastStatusCode, retrying.NextAttemptAt, retrying.LeaseExpiresAt));
        // The three still leased show their lease (an attempt may be in flight).
        Assert.All(pending.Where(d => d.Id != claimed[2].Id), d => Assert.Equal(T0.AddMinutes(1) + Lease, d.LeaseExpiresAt));
    }

    [Fact]
    public async Task Another_projects_or_another_endpoints_deliveries_are_neither_listed_nor_redelivered()
    {
        var endpoint = await InsertEndpointAsync(Alice.ProjectId);
        var sibling = await InsertEndpointAsync(Alice.ProjectId, url: "https://sibling.example/in");
        await SyncWithPlacedEventsAsync(1);
        var delivery = (await Hooks.ListDeliveriesAsync(Alice.ProjectId, endpoint, null, null, 10))[0];

        Assert.Empty(await Hooks.ListDeliveriesAsync(AliceInOtherProject.ProjectId, endpoint, null, null, 10));
        Assert.Null(await RedeliverAsync(endpoint, delivery.Id, T0.AddMinutes(1), AliceInOtherProject.ProjectId));
        Assert.Null(await RedeliverAsync(sibling, delivery.Id, T0.AddMinutes(1)));
        Assert.Null(await RedeliverAsync(endpoint, Guid.NewGuid(), T0.AddMinutes(1)));
        Assert.Equal(2, (await Hooks.ListDeliveriesAsync(Alice.ProjectId, sibling, null, null, 10)).Count);
        Assert.Equal([2L], await CountAsync($"endpoint_id = '{endpoint:D}' AND updated_at = created_at")); // untouched
    }

    [Fact]
    public async Task Redelivering_a_failed_delivery_makes_it_pending_and_due_now_with_its_schedule_restarted()
    {
        var endpoint = await InsertEndpointAsync(Alice.ProjectId);
        await SyncWithPlacedEventsAsync(1);
        var claimed = await ClaimAsync(T0.AddMinutes(1), max: 1);
        var at = T0.AddMinutes(1).AddSeconds(1);
        await Deliveries.RecordDeliveryResultsAsync("w1", [Result(claimed[0], DeliveryState.Failed, null, at, 500, EndpointEffect.Failed, "HTTP 500")]);
        var now = T0.AddHours(1);

        var queued = await RedeliverAsync(endpoint, claimed[0].Id, now);

        Assert.NotNull(queued);
        Assert.Equal((DeliveryState.Pending, 0, (DateTimeOffset?)now, (int?)500, "HTTP 500"),
            (queued.State, queued.Attempts, queued.NextAttemptAt, queued.LastStatusCode, queued.LastError));
        var listed = (await Hooks.ListDeliveriesAsync(Alice.ProjectId, endpoint, DeliveryState.Pending, null, 10)).Single(d => d.Id == claimed[0].Id);
        Assert.Equal(queued, listed);
        Assert.DoesNotContain(await ClaimAsync(now.AddMilliseconds(-1)), c => c.Id == claimed[0].Id); // due now, not before
        var again = (await ClaimAsync(now, owner: "w2")).Single(c => c.Id == claimed[0].Id);
        Assert.Equal(0, again.Attempts);
        // Its next failure waits the schedule's first delay again (attempts 0 → 1).
        Assert.Equal(1, await Deliveries.RecordDeliveryResultsAsync("w2",
            [Result(again, DeliveryState.Pending, now.AddSeconds(5), now, 500, EndpointEffect.Failed, "HTTP 500")]));
        Assert.Equal([1L], await CountAsync($"id = '{claimed[0].Id:D}' AND state = 'Pending' AND attempts = 1"));
    }

    [Fact]
    public async Task Redelivery_is_refused_while_a_lease_runs_and_once_it_ran_out_the_old_holders_result_is_fenced_out()
    {
        var endpoint = await InsertEndpointAsync(Alice.ProjectId);
        await SyncWithPlacedEventsAsync(1);
        var leased = Assert.Single(await ClaimAsync(T0.AddMinutes(1), max: 1));

        var refused = await Assert.ThrowsAsync<DomainException>(() => RedeliverAsync(endpoint, leased.Id, T0.AddMinutes(1).AddSeconds(1)));
        Assert.Equal((ErrorKind.FailedPrecondition, "DELIVERY_IN_FLIGHT"), (refused.Kind, refused.Reason));
        Assert.Equal([1L], await CountAsync($"id = '{leased.Id:D}' AND lease_owner = 'w1'")); // nothing written

        // The holder stalled past its lease: redelivery takes the delivery back and the stale result is refused.
        var queued = await RedeliverAsync(endpoint, leased.Id, leased.LeaseExpiresAt.AddSeconds(1));
        Assert.Equal((DeliveryState.Pending, 0, (DateTimeOffset?)null), (queued!.State, queued.Attempts, queued.LeaseExpiresAt));
        Assert.Equal(0, await Deliveries.RecordDeliveryResultsAsync("w1",
            [Result(leased, DeliveryState.Succeeded, null, leased.LeaseExpiresAt.AddSeconds(2), 200, EndpointEffect.Succeeded)]));
        Assert.Equal([1L], await CountAsync($"id = '{leased.Id:D}' AND state = 'Pending' AND lease_owner IS NULL AND last_status_code IS NULL"));
        var again = Assert.Single(await ClaimAsync(leased.LeaseExpiresAt.AddSeconds(2), owner: "w2", max: 10), c => c.Id == leased.Id);
        Assert.Equal(1, await Deliveries.RecordDeliveryResultsAsync("w2",
            [Result(again, DeliveryState.Succeeded, null, leased.LeaseExpiresAt.AddSeconds(3), 200, EndpointEffect.Succeeded)]));
    }

    [Fact]
    public async Task Concurrent_claims_and_redeliveries_on_two_store_instances_never_overwrite_a_leased_attempt()
    {
        var endpoint = await InsertEndpointAsync(Alice.ProjectId);
        await SyncWithPlacedEventsAsync(5); // 10 deliveries
        var first = (await ClaimAsync(T0.AddMinutes(1))).OrderBy(c => c.Event!.Sequence).ToList();
        var at = T0.AddMinutes(1).AddSeconds(1);
        DateTimeOffset RetryAt(int i) => at.AddMinutes(10 + i); // one due at a time, in list order
        await Deliveries.RecordDeliveryResultsAsync("w1",
            [.. first.Select((c, i) => Result(c, DeliveryState.Pending, RetryAt(i), at, 500, EndpointEffect.Failed, "HTTP 500"))]); // attempts 1
        var claimer = (IWebhookDeliveryStore)Database.OpenStore();
        var redeliverer = (IWebhookStore)Database.OpenStore();

        for (var n = 0; n < first.Count; n++)
        {
            var delivery = first[n];
            var now = RetryAt(n);
            var results = await RunTogetherAsync(2, async i =>
            {
                if (i == 0)
                {
                    var claim = await ClaimAsync(now, max: 1, owner: "w2", store: claimer);
                    return (Claimed: claim.SingleOrDefault(), Redelivered: false);
                }
                try
                {
                    return (Claimed: (ClaimedDelivery?)null, Redelivered: await RedeliverAsync(endpoint, delivery.Id, now, store: redeliverer) is not null);
                }
                catch (DomainException x) when (x.Reason == "DELIVERY_IN_FLIGHT")
                {
                    return (Claimed: null, Redelivered: false);
                }
            });
            var claimed = results[0].Claimed;
            var redelivered = results[1].Redelivered;
            // Either the claim came first (the redelivery saw the lease and was refused) or the redelivery did (the
            // claim took the restarted delivery, attempts 0, or skipped the row it found locked). Never a redelivery
            // over a lease it did not see.
            Assert.True(redelivered ? claimed is null || (claimed.Id == delivery.Id && claimed.Attempts == 0) : claimed is { Attempts: 1 } && claimed.Id == delivery.Id,
                $"redelivered {redelivered}, claimed {claimed?.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}");
            Assert.Equal([1L], await CountAsync($"id = '{delivery.Id:D}' AND state = 'Pending' AND attempts = {(redelivered ? 0 : 1)}"));
            claimed ??= Assert.Single(await ClaimAsync(now, max: 1, owner: "w2", store: claimer)); // skipped while locked: due still
            Assert.Equal(1, await claimer.RecordDeliveryResultsAsync("w2",
                [Result(claimed, DeliveryState.Succeeded, null, now, 200, EndpointEffect.Succeeded)]));
        }
    }

    [Fact]
    public async Task Redelivery_is_refused_for_a_disabled_endpoint_and_for_an_event_retention_removed()
    {
        var endpoint = await InsertEndpointAsync(Alice.ProjectId);
        await SyncWithPlacedEventsAsync(1);
        var deliveries = await Hooks.ListDeliveriesAsync(Alice.ProjectId, endpoint, null, null, 10);

        await Database.ExecuteAsync($"DELETE FROM sync_events WHERE event_id = '{deliveries[0].EventId:D}'");
        var expired = (await Hooks.ListDeliveriesAsync(Alice.ProjectId, endpoint, null, null, 10)).Single(d => d.Id == deliveries[0].Id);
        Assert.Null(expired.EventType);
        var gone = await Assert.ThrowsAsync<DomainException>(() => RedeliverAsync(endpoint, deliveries[0].Id, T0.AddMinutes(1)));
        Assert.Equal((ErrorKind.FailedPrecondition, "EVENT_EXPIRED"), (gone.Kind, gone.Reason));

        await Database.ExecuteAsync($"UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = 'by hand' WHERE id = '{endpoint:D}'");
        var disabled = await Assert.ThrowsAsync<DomainException>(() => RedeliverAsync(endpoint, deliveries[1].Id, T0.AddMinutes(1)));
        Assert.Equal((ErrorKind.FailedPrecondition, "WEBHOOK_DISABLED"), (disabled.Kind, disabled.Reason));
        Assert.Contains("by hand", disabled.Message, StringComparison.Ordinal);
    }
}
