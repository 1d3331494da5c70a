using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>The event log as a stream of one Sync reads it: one life, by sequence, without the Sync row.</summary>
public abstract partial class RelationalSyncStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Every writer of a Sync's events holds the Sync's row lock until it commits, so its events become
    /// visible in sequence order: a reader that saw sequence n will never later see one below n appear.
    /// The scope is checked on the event rows (they copy the Sync's project and user), by the
    /// (sync_id, sequence) index.
    /// </remarks>
    public async Task<IReadOnlyList<LoggedEvent>> ListLifeEventsAsync(Scope scope, Guid syncId, long incarnation, long afterSequence,
        int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        await using var connection = await OpenConnectionAsync(ct);
        var command = Command(connection, null,
            $"SELECT {EventColumns} FROM sync_events WHERE sync_id = @sync_id AND {RowsAfter("sequence")} AND incarnation = @incarnation " +
            "AND project_id = @project_id AND user_id = @user_id ORDER BY sequence LIMIT @limit",
            ("@sync_id", IdParameter(syncId)), ("@after", afterSequence), ("@incarnation", incarnation),
            ("@project_id", scope.ProjectId), ("@user_id", scope.UserId), ("@limit", limit));
        return EventsAfter(await ReadAllAsync(command, ReadEventRow, ct), e => e.Sequence, afterSequence, limit);
    }
}
