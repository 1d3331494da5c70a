using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Storage;

/// <summary>
/// A project's webhook endpoints (<c>webhook_endpoints</c>), as the management API reads and writes them.
/// Every operation is scoped to one project: another project's endpoint does not exist here. Secrets pass
/// through in protected form only.
/// </summary>
public interface IWebhookStore
{
    /// <summary>Stores a new endpoint; <see cref="InvalidOperationException"/> when its id is taken.</summary>
    Task InsertWebhookAsync(WebhookEndpoint endpoint, CancellationToken ct = default);

    /// <summary>The project's endpoint, or null.</summary>
    Task<WebhookEndpoint?> GetWebhookAsync(string projectId, Guid webhookId, CancellationToken ct = default);

    /// <summary>
    /// The project's endpoints with an id above <paramref name="afterId"/> (all when null), in id order (ids are
    /// UUIDv7, so oldest first), at most <paramref name="limit"/> (at least 1).
    /// </summary>
    Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(string projectId, Guid? afterId, int limit, CancellationToken ct = default);

    /// <summary>
    /// Reads the project's endpoint under a write lock, applies <paramref name="change"/> (a pure decision;
    /// it may throw to refuse) and writes what it returns, in one transaction. Null when there is no such
    /// endpoint. The id and project of the result must be those of the endpoint read.
    /// </summary>
    Task<WebhookEndpoint?> MutateWebhookAsync(string projectId, Guid webhookId, Func<WebhookEndpoint, WebhookEndpoint> change,
        CancellationToken ct = default);

    /// <summary>Deletes the project's endpoint and (by cascade) its deliveries; false when there was none.</summary>
    Task<bool> DeleteWebhookAsync(string projectId, Guid webhookId, CancellationToken ct = default);

    /// <summary>
    /// The deliveries of the project's endpoint <paramref name="webhookId"/>, newest first (creation time, then
    /// id), after <paramref name="before"/> (from the start when null), only those in <paramref name="state"/>
    /// when given, at most <paramref name="limit"/> (at least 1). Another project's endpoint has none.
    /// </summary>
    Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string projectId, Guid webhookId, DeliveryState? state,
        DeliveryPosition? before, int limit, CancellationToken ct = default);

    /// <summary>
    /// Reads the delivery under a write lock (the lock a worker's claim and result take too), hands it with its
    /// endpoint to <paramref name="change"/> (a pure decision; it may throw to refuse) and writes the state,
    /// attempts and due time it returns, and clears the lease when it returns none (which fences out the result of any earlier claim), in
    /// one transaction. Null when the project's endpoint has no such delivery.
    /// </summary>
    Task<WebhookDelivery?> MutateDeliveryAsync(string projectId, Guid webhookId, Guid deliveryId,
        Func<WebhookEndpoint, WebhookDelivery, WebhookDelivery> change, CancellationToken ct = default);
}
