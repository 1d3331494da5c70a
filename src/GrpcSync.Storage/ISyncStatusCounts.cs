using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// How many Syncs the store holds in each status, across every project: what the <c>grpcsync.syncs</c> gauge
/// reports. One aggregate query over the whole table, so callers read it rarely (every 15 s), never per scrape.
/// </summary>
public interface ISyncStatusCounts
{
    /// <summary>Every <see cref="SyncStatus"/> with its count (0 for a status no Sync has).</summary>
    Task<IReadOnlyDictionary<SyncStatus, long>> CountSyncsByStatusAsync(CancellationToken ct = default);
}
