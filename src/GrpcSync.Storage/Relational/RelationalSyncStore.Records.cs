using System.Globalization;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>Records as the API reads them: pages by sequence, and one record.</summary>
public abstract partial class RelationalSyncStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One read snapshot (SQLite: one read transaction; PostgreSQL: REPEATABLE READ). The totals are
    /// the Sync's total_records and synced_records_count, which every page write recounts with its
    /// records. A record changed after a page was read moves past it (a higher sequence), so paging
    /// with the last sequence seen returns every change at least once and never skips one.
    /// </remarks>
    public async Task<RecordsPage?> ListRecordsAsync(Scope scope, Guid syncId, long afterSequence, int limit,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginReadAsync(connection.Connection, ct);
        var id = IdParameter(syncId);

        long total, active, incarnation;
        var sync = Command(connection, tx,
            "SELECT total_records, synced_records_count, incarnation FROM syncs " +
            "WHERE id = @id AND project_id = @project_id AND user_id = @user_id",
            ("@id", id), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        await using (var reader = await sync.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }
            total = reader.GetInt64(0);
            active = reader.GetInt64(1);
            incarnation = reader.GetInt64(2);
        }

        IReadOnlyList<SyncRecord> records;
        {
            var select = Command(connection, tx,
                $"SELECT {RecordColumns} FROM sync_records WHERE sync_id = @sync_id AND sequence > @after ORDER BY sequence LIMIT @limit",
                ("@sync_id", id), ("@after", afterSequence), ("@limit", limit));
            records = await ReadAllAsync(select, ReadRecord, ct);
        }
        var last = records.Count > 0 ? records[^1].Sequence : afterSequence;
        var remaining = Convert.ToInt64(await ScalarAsync(connection, tx,
            "SELECT COUNT(*) FROM sync_records WHERE sync_id = @sync_id AND sequence > @after", ct,
            ("@sync_id", id), ("@after", last)), CultureInfo.InvariantCulture);
        await CommitAsync(connection, tx);
        return new RecordsPage(records, total, active, remaining, incarnation);
    }

    /// <inheritdoc />
    public async Task<SyncRecord?> GetRecordAsync(Scope scope, Guid syncId, Guid recordId, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var command = Command(connection, null,
            $"SELECT {RecordColumns} FROM sync_records WHERE sync_id = @sync_id AND id = @id " +
            "AND EXISTS (SELECT 1 FROM syncs WHERE id = @sync_id AND project_id = @project_id AND user_id = @user_id)",
            ("@sync_id", IdParameter(syncId)), ("@id", IdParameter(recordId)),
            ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        var found = await ReadAllAsync(command, ReadRecord, ct);
        return found.Count == 0 ? null : found[0];
    }
}
