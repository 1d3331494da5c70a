namespace GrpcSync.Storage;

/// <summary>A page of a run's records (see <see cref="IEngineStore.WriteRecordPageAsync"/>).</summary>
public sealed record RecordPage(
    Guid SyncId, Guid RunId, int Attempt, IReadOnlyList<RecordUpsert> Upserts, bool ReconcileUnseen,
    string? SourceCursor, DateTimeOffset Now);
