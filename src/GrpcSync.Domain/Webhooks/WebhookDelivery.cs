namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// One event's delivery to one endpoint (table <c>webhook_deliveries</c>) as the management API shows it.
/// <see cref="Attempts"/> counts the attempts of the current schedule (a redelivery starts it again);
/// the <c>Last*</c> fields describe the latest attempt ever made. <see cref="EventType"/> is null once
/// retention removed the event from the log. <see cref="LeaseExpiresAt"/> is set while a worker holds it.
/// </summary>
public sealed record WebhookDelivery
{
    public required Guid Id { get; init; }
    public required Guid EndpointId { get; init; }
    public required string ProjectId { get; init; }
    public required Guid EventId { get; init; }
    public string? EventType { get; init; }
    public required DeliveryState State { get; init; }
    public int Attempts { get; init; }
    /// <summary>When a Pending delivery is sent next; null once Succeeded or Failed.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }
    /// <summary>Until when a worker's lease on the delivery runs (an attempt may be in flight); null when none holds it.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    public DateTimeOffset? LastAttemptAt { get; init; }
    public int? LastStatusCode { get; init; }
    public string? LastError { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether a worker may be sending it right now (its lease has not run out at <paramref name="now"/>).</summary>
    public bool InFlightAt(DateTimeOffset now) => LeaseExpiresAt is { } until && until > now;
}
