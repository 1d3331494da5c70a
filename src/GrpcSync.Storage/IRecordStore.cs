using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>Records as callers pull them, in change-sequence order.</summary>
public interface IRecordStore
{
    /// <summary>
    /// Up to <paramref name="limit"/> records (tombstones included) of a Sync in the scope with a sequence
    /// greater than <paramref name="afterSequence"/>, ascending, plus the counts for paging. Null when the
    /// Sync does not exist in the scope.
    /// </summary>
    Task<RecordsPage?> ListRecordsAsync(Scope scope, Guid syncId, long afterSequence, int limit, CancellationToken ct = default);

    /// <summary>One record (a tombstone too) of a Sync in the scope, or null.</summary>
    Task<SyncRecord?> GetRecordAsync(Scope scope, Guid syncId, Guid recordId, CancellationToken ct = default);
}
