using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// A page of records and the Sync's counts and <see cref="Sync.Incarnation"/> at the time of the read
/// (one consistent snapshot).
/// </summary>
public sealed record RecordsPage(IReadOnlyList<SyncRecord> Records, long TotalRecords, long TotalActiveRecords, long RemainingAfterPage,
    long Incarnation);
