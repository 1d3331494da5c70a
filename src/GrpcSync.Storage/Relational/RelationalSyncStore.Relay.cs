using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// The relay's step over the event log: global positions in commit order (event_relay holds the last one given).
/// </summary>
public abstract partial class RelationalSyncStore
{
    /// <summary>
    /// Numbers the oldest unplaced events after @last in (created_at, event_id) order. The relay row is held
    /// (locked) for the whole transaction, so every event committed before it started is either placed by it or was placed earlier.
    /// </summary>
    private const string PlaceEventsSql =
        "UPDATE sync_events SET position = @last + picked.place " +
        "FROM (SELECT event_id AS picked_id, ROW_NUMBER() OVER (ORDER BY created_at, event_id) AS place " +
        "FROM sync_events WHERE position IS NULL ORDER BY created_at, event_id LIMIT @max) AS picked " +
        "WHERE sync_events.event_id = picked.picked_id";

    /// <summary>
    /// Webhook fan-out of the positions this transaction just gave (@last, @upto]: one Pending delivery per
    /// enabled endpoint of the event's project whose event_types list it ('' = all), due at the event's time.
    /// Being in the placing transaction, each placed event fans out exactly once and an unplaced (or rolled
    /// back) one never does. '_' is escaped because event types contain it and LIKE reads it as a wildcard.
    /// </summary>
    private string FanOutSql =>
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, project_id, state, attempts, next_attempt_at, created_at, updated_at) " +
        $"SELECT {NewIdSql}, w.id, e.event_id, e.project_id, {SqlLiterals.DeliveryPending}, 0, e.created_at, e.created_at, e.created_at " +
        "FROM sync_events e JOIN webhook_endpoints w ON w.project_id = e.project_id AND w.enabled " +
        "WHERE e.position > @last AND e.position <= @upto AND (w.event_types = '' OR " +
        "(' ' || w.event_types || ' ') LIKE ('% ' || replace(e.event_type, '_', '\\_') || ' %') ESCAPE '\\')";

    /// <inheritdoc />
    /// <remarks>
    /// An idle relay polls: it first looks for an unplaced event (the partial index, no lock) and takes the
    /// write lock only when there is one, so polling never queues behind writers or makes them wait.
    /// </remarks>
    public async Task<int> PlaceEventsAsync(int max, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        await using (var probe = await OpenConnectionAsync(ct))
        {
            if (await ScalarAsync(probe, null, "SELECT 1 FROM sync_events WHERE position IS NULL LIMIT 1", ct) is null)
            {
                return 0;
            }
        }
        int placed;
        using (await EnterWriteAsync(ct))
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var tx = await BeginWriteAsync(connection.Connection, ct);
            var last = Convert.ToInt64(await ScalarAsync(connection, tx, "SELECT last_position FROM event_relay WHERE id = 1" + LockClause, ct),
                System.Globalization.CultureInfo.InvariantCulture);
            placed = await ExecuteAsync(connection, tx, PlaceEventsSql, ct, ("@last", last), ("@max", max));
            if (placed == 0)
            {
                return 0; // placed by another relay meanwhile; the transaction rolls back
            }
            await ExecuteAsync(connection, tx, "UPDATE event_relay SET last_position = @last WHERE id = 1", ct, ("@last", last + placed));
            await ExecuteAsync(connection, tx, FanOutSql, ct, ("@last", last), ("@upto", last + placed));
            await CommitAsync(connection, tx);
        }
        Signals.Placed.Pulse();
        return placed;
    }
}
