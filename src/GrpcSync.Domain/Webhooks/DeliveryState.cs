namespace GrpcSync.Domain.Webhooks;

/// <summary>Where one event's delivery to one endpoint stands (stored by name).</summary>
public enum DeliveryState
{
    /// <summary>To be sent at its next attempt time (or being sent, under a lease).</summary>
    Pending,

    /// <summary>The endpoint answered 2xx.</summary>
    Succeeded,

    /// <summary>The retry schedule ran out or the endpoint was disabled; kept for redelivery.</summary>
    Failed,
}
