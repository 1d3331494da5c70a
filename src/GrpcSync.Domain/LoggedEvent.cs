namespace GrpcSync.Domain;

/// <summary>
/// An event as the log keeps it: what <see cref="SyncEvent"/> said plus its place (<see cref="Sequence"/>,
/// increasing per Sync id) and the Sync's properties at the time, which outlive the Sync itself.
/// <see cref="Incarnation"/> is the life of the Sync it belongs to (<see cref="Sync.Incarnation"/>).
/// </summary>
public sealed record LoggedEvent(
    Guid Id, Guid SyncId, long Incarnation, long Sequence, string ProjectId, string UserId, string Integration,
    Guid? CredentialId, string Type, DateTimeOffset Timestamp, string DataJson);
