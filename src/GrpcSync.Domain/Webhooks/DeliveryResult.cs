namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// What a worker writes back after one attempt of delivery <see cref="DeliveryId"/>: its new state and
/// attempt count, when to try again (Pending only), what the endpoint answered, and the effect on the
/// endpoint. <see cref="AttemptsBefore"/> fences the write: it applies only while the worker's lease holds
/// and nobody recorded another attempt meanwhile.
/// </summary>
public sealed record DeliveryResult(
    Guid DeliveryId,
    Guid EndpointId,
    int AttemptsBefore,
    int Attempts,
    DeliveryState State,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset AttemptedAt,
    int? StatusCode,
    string? Error,
    EndpointEffect Effect,
    string? DisabledReason = null);
