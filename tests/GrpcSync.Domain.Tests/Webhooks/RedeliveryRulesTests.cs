using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Domain.Tests.Webhooks;

public sealed class RedeliveryRulesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);

    private static readonly WebhookEndpoint Endpoint = new()
    {
        Id = Guid.NewGuid(), ProjectId = "p", Url = "https://hooks.example/in", ProtectedSecret = "protected", CreatedAt = Now, UpdatedAt = Now,
    };

    private static WebhookDelivery Delivery(DeliveryState state, int attempts = 8, DateTimeOffset? leaseUntil = null, string? eventType = "sync_errored") => new()
    {
        Id = Guid.NewGuid(), EndpointId = Endpoint.Id, ProjectId = "p", EventId = Guid.NewGuid(), EventType = eventType, State = state,
        Attempts = attempts, NextAttemptAt = state == DeliveryState.Pending ? Now.AddHours(1) : null, LeaseExpiresAt = leaseUntil,
        LastAttemptAt = Now.AddMinutes(-1), LastStatusCode = 500, LastError = "HTTP 500", CreatedAt = Now.AddDays(-1), UpdatedAt = Now.AddMinutes(-1),
    };

    [Theory]
    [InlineData(DeliveryState.Failed)]
    [InlineData(DeliveryState.Succeeded)]
    [InlineData(DeliveryState.Pending)] // waiting for a retry: due now, its schedule restarted
    public void Any_state_goes_back_to_pending_due_now_with_the_schedule_restarted_and_the_last_attempt_kept(DeliveryState state)
    {
        var before = Delivery(state);

        var after = RedeliveryRules.Redeliver(Endpoint, before, Now);

        Assert.Equal(before with { State = DeliveryState.Pending, Attempts = 0, NextAttemptAt = Now, UpdatedAt = Now }, after);
    }

    [Fact]
    public void A_lease_that_ran_out_is_cleared_and_one_that_runs_refuses()
    {
        Assert.Null(RedeliveryRules.Redeliver(Endpoint, Delivery(DeliveryState.Pending, 2, leaseUntil: Now), Now).LeaseExpiresAt);

        var refused = Assert.Throws<DomainException>(() => RedeliveryRules.Redeliver(Endpoint, Delivery(DeliveryState.Pending, 2, Now.AddMilliseconds(1)), Now));
        Assert.Equal((ErrorKind.FailedPrecondition, "DELIVERY_IN_FLIGHT"), (refused.Kind, refused.Reason));
    }

    [Fact]
    public void A_disabled_endpoint_or_an_expired_event_refuses()
    {
        var disabled = Assert.Throws<DomainException>(() =>
            RedeliveryRules.Redeliver(Endpoint with { Enabled = false, DisabledReason = "the endpoint answered 410 Gone" }, Delivery(DeliveryState.Failed), Now));
        Assert.Equal((ErrorKind.FailedPrecondition, "WEBHOOK_DISABLED"), (disabled.Kind, disabled.Reason));
        Assert.Contains("410 Gone", disabled.Message, StringComparison.Ordinal);

        var expired = Assert.Throws<DomainException>(() => RedeliveryRules.Redeliver(Endpoint, Delivery(DeliveryState.Failed, eventType: null), Now));
        Assert.Equal((ErrorKind.FailedPrecondition, "EVENT_EXPIRED"), (expired.Kind, expired.Reason));
    }
}
