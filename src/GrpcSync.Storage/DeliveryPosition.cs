namespace GrpcSync.Storage;

/// <summary>Where a page of an endpoint's deliveries ended: the last delivery's creation time and id (keyset, newest first).</summary>
public sealed record DeliveryPosition(DateTimeOffset CreatedAt, Guid Id);
