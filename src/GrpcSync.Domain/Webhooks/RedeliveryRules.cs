namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// Manual redelivery (pure): a delivery in any state goes back to Pending, due now, with its attempt count
/// at 0 so that the retry schedule starts again from its first delay, as for a new delivery. Refused
/// (FAILED_PRECONDITION) while the endpoint is disabled (the worker would only fail it again), while the event
/// is gone from the log (nothing to send), and while a worker's lease on it runs (an attempt may be in flight:
/// asking again then would race that attempt; its result, or the lease's end, settles it first).
/// The last attempt's status, error and time are kept: they are history, not schedule.
/// </summary>
public static class RedeliveryRules
{
    public static WebhookDelivery Redeliver(WebhookEndpoint endpoint, WebhookDelivery delivery, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(delivery);
        if (!endpoint.Enabled)
        {
            throw new DomainException(ErrorKind.FailedPrecondition, "WEBHOOK_DISABLED",
                $"Webhook {endpoint.Id} is disabled ({endpoint.DisabledReason ?? "disabled"}); enable it (PATCH enabled: true) before redelivering.");
        }
        if (delivery.EventType is null)
        {
            throw new DomainException(ErrorKind.FailedPrecondition, "EVENT_EXPIRED",
                $"The event {delivery.EventId} of delivery {delivery.Id} is no longer in the event log (retention); it cannot be sent again.");
        }
        if (delivery.InFlightAt(now))
        {
            throw new DomainException(ErrorKind.FailedPrecondition, "DELIVERY_IN_FLIGHT",
                $"Delivery {delivery.Id} is being attempted right now (leased until {SyncEvents.Rfc3339(delivery.LeaseExpiresAt!.Value)}); try again after that attempt.");
        }
        return delivery with
        {
            State = DeliveryState.Pending,
            Attempts = 0,
            NextAttemptAt = now,
            LeaseExpiresAt = null,
            UpdatedAt = now,
        };
    }

    /// <summary>NOT_FOUND: no such delivery of this endpoint in the caller's project.</summary>
    public static DomainException NotFound(string deliveryId) =>
        new(ErrorKind.NotFound, "WEBHOOK_DELIVERY_NOT_FOUND", $"Webhook delivery not found: {deliveryId}");
}
