using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>Syncs counted by status (the operator's gauge); the same SQL on both providers.</summary>
public abstract partial class RelationalSyncStore : ISyncStatusCounts
{
    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<SyncStatus, long>> CountSyncsByStatusAsync(CancellationToken ct = default)
    {
        var counts = Enum.GetValues<SyncStatus>().ToDictionary(s => s, _ => 0L);
        await using var connection = await OpenConnectionAsync(ct);
        // No transaction: one statement sees one snapshot on both providers.
        var rows = await ReadAllAsync(Command(connection, null, "SELECT status, COUNT(*) FROM syncs GROUP BY status"),
            r => (Status: r.GetString(0), Count: Convert.ToInt64(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)), ct);
        foreach (var (status, count) in rows)
        {
            // Statuses are stored by name; a name this build does not know (a newer replica's) is left out.
            if (Enum.TryParse<SyncStatus>(status, out var known))
            {
                counts[known] = count;
            }
        }
        return counts;
    }
}
