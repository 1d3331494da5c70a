namespace GrpcSync.Storage;

/// <summary>A page of a run's records (see <see cref="IEngineStore.WriteRecordPageAsync"/>).</summary>
public sealed record RecordPage(
    Guid SyncId, Guid RunId, int Attempt, IReadOnlyList<RecordUpsert> Upserts, bool ReconcileUnseen,
    string? SourceCursor, DateTimeOffset Now)
{
    /// <summary>
    /// External ids the source reported gone (an incremental page's deletions): each live record among them becomes a
    /// tombstone with a new sequence, after the upserts, in the same transaction; unknown ids and tombstones are skipped.
    /// </summary>
    public IReadOnlyList<string> Deletions { get; init; } = [];
}
