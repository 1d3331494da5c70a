using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Storage;

/// <summary>
/// Webhook deliveries as the delivery workers see them. Deliveries are never created here: the relay fans
/// placed events out to endpoints in its own transaction (<see cref="IEventStore.PlaceEventsAsync"/>).
/// </summary>
public interface IWebhookDeliveryStore
{
    /// <summary>
    /// Leases due Pending deliveries as <paramref name="claim"/> says, oldest due first, each endpoint's capped
    /// (<see cref="DeliveryClaim"/>), until claim.Now + claim.Lease. A leased delivery is due again when its lease
    /// expires (its next attempt time is the lease's end), so a worker that dies loses nothing. PostgreSQL skips
    /// rows other workers are claiming (SKIP LOCKED); SQLite claims under its write lock. Two workers never hold
    /// one delivery at once.
    /// </summary>
    Task<IReadOnlyList<ClaimedDelivery>> ClaimDeliveriesAsync(DeliveryClaim claim, CancellationToken ct = default);

    /// <summary>
    /// Writes attempts' outcomes in one transaction, each fenced by its lease (owner) and attempt count, with
    /// their endpoint effects (health, 410's disabling and its pending deliveries failed). Returns how many applied.
    /// </summary>
    Task<int> RecordDeliveryResultsAsync(string owner, IReadOnlyList<DeliveryResult> results, CancellationToken ct = default);

    /// <summary>
    /// Disables every enabled endpoint failing since <paramref name="failingBefore"/> or earlier, with the
    /// reason <paramref name="reason"/> gives, and fails its pending deliveries (kept for redelivery); returns them.
    /// </summary>
    Task<IReadOnlyList<DisabledEndpoint>> DisableFailingEndpointsAsync(DateTimeOffset failingBefore, DateTimeOffset now,
        Func<DateTimeOffset, string> reason, CancellationToken ct = default);
}
