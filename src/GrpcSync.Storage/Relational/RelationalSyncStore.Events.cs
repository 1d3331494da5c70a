using System.Data.Common;
using System.Globalization;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// The event log (sync_events): appended in the transaction of the change it reports, read by Sync, trimmed by age.
/// </summary>
public abstract partial class RelationalSyncStore : IEventStore
{
    /// <summary>
    /// One event: the Sync's standard properties are copied from its row as the statements before it in the
    /// same transaction left it (so sync_updated carries the new credential), its sequence is the row's
    /// event_sequence + @offset. <see cref="BumpEventSequenceSql"/> then moves the counter past the lot.
    /// </summary>
    /// <inheritdoc />
    public EventSignals Signals { get; } = new();

    /// <summary>
    /// False only to measure what the event log costs a write (bench/; the server's
    /// <c>GrpcSync:Store:EventLog=false</c>): writes then log nothing, so webhooks and streams see nothing.
    /// </summary>
    public bool LogEvents { get; init; } = true;

    private const string InsertEventSql =
        "INSERT INTO sync_events (event_id, sync_id, incarnation, sequence, project_id, user_id, integration, credential_id, " +
        "event_type, created_at, data_json, event_count) " +
        "SELECT @event_id, id, incarnation, event_sequence + @offset, project_id, user_id, integration, credential_id, " +
        "@event_type, @created_at, @data_json, @event_count FROM syncs WHERE id = @sync_id";

    private const string BumpEventSequenceSql =
        "UPDATE syncs SET event_sequence = event_sequence + @count WHERE id = @sync_id";

    private const string EventColumns =
        "event_id, sync_id, incarnation, sequence, project_id, user_id, integration, credential_id, event_type, created_at, data_json, position, event_count";

    /// <summary>
    /// The rows holding events after @after in the ordering column <paramref name="column"/> (sequence or
    /// position): a row starts at most <see cref="EventRows.MaxMembers"/> - 1 before its last member, so the
    /// index range starts that far back and the second test drops rows that end at or before @after.
    /// </summary>
    private static string RowsAfter(string column) =>
        $"{column} > @after - {EventRows.MaxMembers - 1} AND {column} + event_count > @after + 1";

    /// <summary>
    /// Plans the statements that append <paramref name="events"/> to the log of Sync <paramref name="syncId"/>,
    /// whose row the transaction has locked (every writer of a Sync locks its row first, so no two give out one sequence).
    /// </summary>
    private void PlanEventWrites(Guid syncId, IReadOnlyList<SyncEvent> events, List<Write> writes)
    {
        if (events.Count == 0 || !LogEvents)
        {
            return;
        }
        var id = IdParameter(syncId);
        // One row for a change's events (up to EventRows.MaxMembers each), not one per event.
        for (var start = 0; start < events.Count; start += EventRows.MaxMembers)
        {
            var count = Math.Min(EventRows.MaxMembers, events.Count - start);
            var first = events[start];
            writes.Add(new Write(InsertEventSql,
            [
                ("@event_id", IdParameter(first.Id)), ("@sync_id", id), ("@offset", (long)start + 1), ("@event_type", first.Type),
                ("@created_at", Ms(first.Timestamp)), ("@data_json", count == 1 ? first.DataJson : EventRows.MembersJson(events, start, count)),
                ("@event_count", (long)count),
            ], $"Event {first.Id} of Sync {syncId} could not be logged (no such Sync)."));
        }
        writes.Add(new Write(BumpEventSequenceSql, [("@count", (long)events.Count), ("@sync_id", id)],
            $"The event sequence of Sync {syncId} could not be advanced."));
    }

    /// <summary>Appends events at once (outside the planned-writes funnel: page writes and deletes).</summary>
    private async Task AppendEventsAsync(StoreConnection connection, DbTransaction tx, Guid syncId, IReadOnlyList<SyncEvent> events,
        CancellationToken ct)
    {
        var writes = new List<Write>(events.Count + 1);
        PlanEventWrites(syncId, events, writes);
        await ExecuteWritesAsync(connection, tx, writes, ct);
    }

    /// <summary>
    /// A new life of a Sync id continues its sequence after the events still logged from earlier lives, so
    /// (sync_id, sequence) stays unique and increasing per Sync id.
    /// </summary>
    private static async Task ContinueEventSequenceAsync(StoreConnection connection, DbTransaction tx, object syncId, CancellationToken ct) =>
        await ExecuteAsync(connection, tx,
            "UPDATE syncs SET event_sequence = (SELECT COALESCE(MAX(sequence + event_count - 1), 0) FROM sync_events WHERE sync_id = @id) WHERE id = @id",
            ct, ("@id", syncId));

    /// <inheritdoc />
    public async Task<EventsPage?> ListSyncEventsAsync(Scope scope, Guid syncId, long afterSequence, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginReadAsync(connection.Connection, ct);
        var incarnation = await ScalarAsync(connection, tx,
            "SELECT incarnation FROM syncs WHERE id = @id AND project_id = @project_id AND user_id = @user_id", ct,
            ("@id", IdParameter(syncId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        if (incarnation is null)
        {
            return null;
        }
        var life = Convert.ToInt64(incarnation, CultureInfo.InvariantCulture);
        var command = Command(connection, tx,
            $"SELECT {EventColumns} FROM sync_events WHERE sync_id = @sync_id AND {RowsAfter("sequence")} AND incarnation = @incarnation " +
            "ORDER BY sequence LIMIT @limit",
            ("@sync_id", IdParameter(syncId)), ("@after", afterSequence), ("@incarnation", life), ("@limit", limit));
        var rows = await ReadAllAsync(command, ReadEventRow, ct);
        await CommitAsync(connection, tx);
        return new EventsPage(life, EventsAfter(rows, e => e.Sequence, afterSequence, limit));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LoggedEvent>> ListProjectEventsAsync(string projectId, long afterPosition, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        await using var connection = await OpenConnectionAsync(ct);
        var command = Command(connection, null,
            $"SELECT {EventColumns} FROM sync_events WHERE project_id = @project_id AND {RowsAfter("position")} ORDER BY position LIMIT @limit",
            ("@project_id", projectId), ("@after", afterPosition), ("@limit", limit));
        return EventsAfter(await ReadAllAsync(command, ReadEventRow, ct), e => e.Position ?? 0, afterPosition, limit);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One bounded DELETE by the primary key (event ids are time-ordered UUIDv7, <see cref="EventIds"/>): a short write (SQLite's write lock, PostgreSQL's row locks
    /// of just those events), so the engine and the API interleave between batches.
    /// </remarks>
    public async Task<int> DeleteEventsBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var deleted = Command(connection, tx,
            "DELETE FROM sync_events WHERE event_id IN " +
            "(SELECT event_id FROM sync_events WHERE event_id < @boundary ORDER BY event_id LIMIT @max) RETURNING event_count",
            ("@boundary", IdParameter(EventIds.LowestAt(cutoff))), ("@max", max));
        var counts = await ReadAllAsync(deleted, r => r.GetInt32(0), ct); // events, not rows: a row can hold several
        await CommitAsync(connection, tx);
        return counts.Sum();
    }

    /// <summary>
    /// The events of <paramref name="rows"/> (in order) whose <paramref name="place"/> is above
    /// <paramref name="after"/>, at most <paramref name="limit"/>: every row read holds at least one of them.
    /// </summary>
    private static List<LoggedEvent> EventsAfter(IEnumerable<IEnumerable<LoggedEvent>> rows, Func<LoggedEvent, long> place,
        long after, int limit) =>
        rows.SelectMany(members => members).Where(e => place(e) > after).Take(limit).ToList();

    private IEnumerable<LoggedEvent> ReadEventRow(DbDataReader r) => ReadEventRow(r, 0);

    /// <summary>The events of the row read from <see cref="EventColumns"/> starting at column <paramref name="at"/>.</summary>
    private IEnumerable<LoggedEvent> ReadEventRow(DbDataReader r, int at) =>
        EventRows.Expand(ReadEventColumns(r, at), r.GetInt32(at + 12));

    private LoggedEvent ReadEventColumns(DbDataReader r, int at) => new(
        Id: ReadId(r, at),
        SyncId: ReadId(r, at + 1),
        Incarnation: r.GetInt64(at + 2),
        Sequence: r.GetInt64(at + 3),
        ProjectId: r.GetString(at + 4),
        UserId: r.GetString(at + 5),
        Integration: r.GetString(at + 6),
        CredentialId: r.IsDBNull(at + 7) ? null : ReadId(r, at + 7),
        Type: r.GetString(at + 8),
        Timestamp: Time(r, at + 9),
        DataJson: r.GetString(at + 10),
        Position: r.IsDBNull(at + 11) ? null : r.GetInt64(at + 11));
}
