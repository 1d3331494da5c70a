using System.Globalization;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// The relay's step over the event log: global positions in commit order (event_relay holds the last one
/// given), and the webhook fan-out of the events it placed.
/// </summary>
public abstract partial class RelationalSyncStore
{
    /// <summary>
    /// Numbers the oldest unplaced rows after @last in (created_at, event_id) order, each taking as many
    /// positions as it holds events, until about @max events (a row is placed whole). The relay row is held
    /// (locked) for the whole transaction, so every event committed before it started is either placed by it
    /// or was placed earlier.
    /// </summary>
    private const string PlaceEventsSql =
        "UPDATE sync_events SET position = @last + picked.place " +
        "FROM (SELECT picked_id, total - n + 1 AS place FROM " +
        "(SELECT event_id AS picked_id, event_count AS n, " +
        "SUM(event_count) OVER (ORDER BY created_at, event_id ROWS UNBOUNDED PRECEDING) AS total " +
        "FROM (SELECT event_id, event_count, created_at FROM sync_events WHERE position IS NULL " +
        "ORDER BY created_at, event_id LIMIT @max) AS oldest) AS numbered " +
        "WHERE total - n < @max) AS picked " +
        "WHERE sync_events.event_id = picked.picked_id";

    /// <summary>The rows just placed whose project has an enabled endpoint: the ones the fan-out reads.</summary>
    private const string PlacedForEndpointsSql =
        $"SELECT {EventColumns} FROM sync_events e WHERE position > @last AND position <= @upto " +
        "AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.project_id = e.project_id AND w.enabled)";

    private const string InsertDeliverySql =
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, log_event_id, event_type, project_id, state, attempts, next_attempt_at, " +
        $"created_at, updated_at) VALUES (@id, @endpoint_id, @event_id, @log_event_id, @event_type, @project_id, {SqlLiterals.DeliveryPending}, 0, " +
        "@at, @at, @at)";

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
        long placed;
        using (await EnterWriteKeepingClaimedRowsAsync(ct)) // the relay's position and deliveries only
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var tx = await BeginWriteAsync(connection.Connection, ct);
            var last = Convert.ToInt64(await ScalarAsync(connection, tx, "SELECT last_position FROM event_relay WHERE id = 1" + LockClause, ct),
                CultureInfo.InvariantCulture);
            if (await ExecuteAsync(connection, tx, PlaceEventsSql, ct, ("@last", last), ("@max", max)) == 0)
            {
                return 0; // placed by another relay meanwhile; the transaction rolls back
            }
            var upto = Convert.ToInt64(await ScalarAsync(connection, tx,
                "SELECT MAX(position + event_count - 1) FROM sync_events WHERE position > @last", ct, ("@last", last)),
                CultureInfo.InvariantCulture);
            await ExecuteAsync(connection, tx, "UPDATE event_relay SET last_position = @upto WHERE id = 1", ct, ("@upto", upto));
            await FanOutAsync(connection, tx, last, upto, ct);
            await CommitAsync(connection, tx);
            placed = upto - last;
        }
        Signals.Placed.Pulse();
        return (int)placed;
    }

    /// <summary>
    /// Webhook fan-out of the positions this transaction just gave (@last, @upto]: one Pending delivery per
    /// enabled endpoint of the event's project that wants its type, due at the event's time. Being in the
    /// placing transaction, each placed event fans out exactly once and an unplaced (or rolled back) one never does.
    /// </summary>
    private async Task FanOutAsync(StoreConnection connection, System.Data.Common.DbTransaction tx, long last, long upto, CancellationToken ct)
    {
        var placed = Command(connection, tx, PlacedForEndpointsSql, ("@last", last), ("@upto", upto));
        // Each event with the row holding it (a row's id is its first member's), which its delivery names.
        var events = (await ReadAllAsync(placed, ReadEventRow, ct))
            .SelectMany(WithRow).ToList();
        if (events.Count == 0)
        {
            return;
        }
        var projects = events.Select(e => e.Event.ProjectId).Distinct(StringComparer.Ordinal).ToArray();
        var endpoints = new List<(Guid Id, string ProjectId, string[] Types)>();
        foreach (var chunk in projects.Chunk(InListChunk))
        {
            var read = OneOffCommand(connection, tx,
                $"SELECT id, project_id, event_types FROM webhook_endpoints WHERE enabled AND project_id IN ({InList("@p", chunk.Length)})",
                [.. chunk.Select((p, i) => ($"@p{i}", (object?)p))]);
            endpoints.AddRange(await ReadAllAsync(read,
                r => (ReadId(r, 0), r.GetString(1), r.GetString(2).Split(' ', StringSplitOptions.RemoveEmptyEntries)), ct));
        }
        var writes = new List<Write>();
        foreach (var (e, row) in events)
        {
            foreach (var endpoint in endpoints)
            {
                if (endpoint.ProjectId == e.ProjectId && (endpoint.Types.Length == 0 || endpoint.Types.Contains(e.Type, StringComparer.Ordinal)))
                {
                    writes.Add(new Write(InsertDeliverySql,
                    [
                        ("@id", IdParameter(Guid.CreateVersion7(e.Timestamp))), ("@endpoint_id", IdParameter(endpoint.Id)),
                        ("@event_id", IdParameter(e.Id)), ("@log_event_id", IdParameter(row)), ("@event_type", e.Type),
                        ("@project_id", e.ProjectId),
                        ("@at", Ms(e.Timestamp)),
                    ], $"The delivery of event {e.Id} to endpoint {endpoint.Id} could not be written."));
                }
            }
        }
        await ExecuteWritesAsync(connection, tx, writes, ct);
    }

    private static IEnumerable<(LoggedEvent Event, Guid Row)> WithRow(IEnumerable<LoggedEvent> members)
    {
        Guid? row = null;
        foreach (var e in members)
        {
            row ??= e.Id;
            yield return (e, row.Value);
        }
    }
}
