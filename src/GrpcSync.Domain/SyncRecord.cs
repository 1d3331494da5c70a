namespace GrpcSync.Domain;

/// <summary>
/// One synced record as stored. <see cref="Sequence"/> is the Sync's change counter at the record's
/// last change: records are pulled in sequence order, so a change always moves a record to the end.
/// </summary>
public sealed record SyncRecord
{
    public required Guid Id { get; init; }
    public required Guid SyncId { get; init; }
    public required string ExternalId { get; init; }
    public required long Sequence { get; init; }
    /// <summary>A tombstone: the record no longer exists in the source (or the new account cannot see it).</summary>
    public required bool Deleted { get; init; }
    /// <summary>The pipeline's fields as a JSON object (e.g. name, mimeType, size for files).</summary>
    public required string DataJson { get; init; }
    public required string Fingerprint { get; init; }
    public required DateTimeOffset SyncedAt { get; init; }
}
