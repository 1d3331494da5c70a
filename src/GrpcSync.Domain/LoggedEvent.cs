namespace GrpcSync.Domain;

/// <summary>
/// An event as the log keeps it: what <see cref="SyncEvent"/> said plus its place (<see cref="Sequence"/>,
/// increasing per Sync id) and the Sync's properties at the time, which outlive the Sync itself.
/// <see cref="Incarnation"/> is the life of the Sync it belongs to (<see cref="Sync.Incarnation"/>).
/// <see cref="Position"/> is its place among all events in commit order, given by the relay shortly after
/// the commit (null until then).
/// </summary>
public sealed record LoggedEvent(
    Guid Id, Guid SyncId, long Incarnation, long Sequence, string ProjectId, string UserId, string Integration,
    Guid? CredentialId, string Type, DateTimeOffset Timestamp, string DataJson, long? Position = null);
