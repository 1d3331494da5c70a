using System.Data.Common;
using GrpcSync.Domain.Webhooks;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// An endpoint's deliveries as the management API sees them: paged newest first (the listing index
/// endpoint_id, created_at, id), filtered by state, and changed under the delivery's row lock (redelivery).
/// Every statement names the project, so another project's deliveries are never read or changed.
/// </summary>
public abstract partial class RelationalSyncStore
{
    private const string DeliveryColumns =
        "d.id, d.endpoint_id, d.project_id, d.event_id, d.state, d.attempts, d.next_attempt_at, d.lease_expires_at, " +
        "d.last_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at, " +
        "CASE WHEN e.event_id IS NULL THEN NULL ELSE d.event_type END";

    /// <summary>
    /// The type is the delivery's own (a row of several events names only its first member's); the LEFT JOIN on
    /// the row holding the event makes it null once retention removed the event.
    /// </summary>
    private const string DeliveryFrom =
        "FROM webhook_deliveries d LEFT JOIN sync_events e ON e.event_id = d.log_event_id " +
        "WHERE d.endpoint_id = @endpoint AND d.project_id = @project_id";

    /// <inheritdoc />
    public async Task<IReadOnlyList<WebhookDelivery>> ListDeliveriesAsync(string projectId, Guid webhookId, DeliveryState? state,
        DeliveryPosition? before, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var parameters = new List<(string, object?)> { ("@endpoint", IdParameter(webhookId)), ("@project_id", projectId), ("@limit", limit) };
        var sql = $"SELECT {DeliveryColumns} {DeliveryFrom}";
        if (state is { } wanted)
        {
            sql += " AND d.state = @state";
            parameters.Add(("@state", wanted.ToString()));
        }
        if (before is { } position)
        {
            sql += " AND (d.created_at < @before_at OR (d.created_at = @before_at AND d.id < @before_id))";
            parameters.Add(("@before_at", Ms(position.CreatedAt)));
            parameters.Add(("@before_id", IdParameter(position.Id)));
        }
        sql += " ORDER BY d.created_at DESC, d.id DESC LIMIT @limit";
        await using var connection = await OpenConnectionAsync(ct);
        return await ReadAllAsync(Command(connection, null, sql, [.. parameters]), ReadDelivery, ct);
    }

    /// <inheritdoc />
    public async Task<WebhookDelivery?> MutateDeliveryAsync(string projectId, Guid webhookId, Guid deliveryId,
        Func<WebhookEndpoint, WebhookDelivery, WebhookDelivery> change, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // webhook tables only
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        // The delivery row first, alone (PostgreSQL refuses FOR UPDATE on an outer join's nullable side): a worker's
        // claim and result lock it too, so neither can slip in between this read and the write below.
        var locked = await ScalarAsync(connection, tx,
            "SELECT id FROM webhook_deliveries WHERE id = @id AND endpoint_id = @endpoint AND project_id = @project_id" + LockClause, ct,
            ("@id", IdParameter(deliveryId)), ("@endpoint", IdParameter(webhookId)), ("@project_id", projectId));
        if (locked is null)
        {
            return null;
        }
        var delivery = (await ReadAllAsync(Command(connection, tx, $"SELECT {DeliveryColumns} {DeliveryFrom} AND d.id = @id",
            ("@endpoint", IdParameter(webhookId)), ("@project_id", projectId), ("@id", IdParameter(deliveryId))), ReadDelivery, ct))[0];
        // The endpoint is read without a lock: a result writer locks the delivery and then the endpoint, and taking them
        // in the other order here could deadlock. An endpoint disabled meanwhile fails its pending deliveries after us.
        var endpoint = (await ReadAllAsync(Command(connection, tx,
            $"SELECT {WebhookColumns} FROM webhook_endpoints WHERE id = @id AND project_id = @project_id",
            ("@id", IdParameter(webhookId)), ("@project_id", projectId)), ReadWebhook, ct))[0];
        var changed = change(endpoint, delivery);
        if (changed.Id != delivery.Id || changed.EndpointId != delivery.EndpointId || changed.ProjectId != delivery.ProjectId)
        {
            throw new InvalidOperationException("A delivery change must keep the delivery's id, endpoint and project.");
        }
        await ExecuteAsync(connection, tx,
            "UPDATE webhook_deliveries SET state = @state, attempts = @attempts, next_attempt_at = @next, updated_at = @updated_at" +
            (changed.LeaseExpiresAt is null ? ", lease_owner = NULL, lease_expires_at = NULL" : "") + " WHERE id = @id", ct,
            ("@state", changed.State.ToString()), ("@attempts", changed.Attempts), ("@next", Ms(changed.NextAttemptAt)),
            ("@updated_at", Ms(changed.UpdatedAt)), ("@id", IdParameter(deliveryId)));
        await tx.CommitAsync(CancellationToken.None);
        return changed;
    }

    private WebhookDelivery ReadDelivery(DbDataReader r) => new()
    {
        Id = ReadId(r, 0),
        EndpointId = ReadId(r, 1),
        ProjectId = r.GetString(2),
        EventId = ReadId(r, 3),
        State = Enum.Parse<DeliveryState>(r.GetString(4)),
        Attempts = r.GetInt32(5),
        NextAttemptAt = NullableTime(r, 6),
        LeaseExpiresAt = NullableTime(r, 7),
        LastAttemptAt = NullableTime(r, 8),
        LastStatusCode = r.IsDBNull(9) ? null : r.GetInt32(9),
        LastError = NullableString(r, 10),
        CreatedAt = Time(r, 11),
        UpdatedAt = Time(r, 12),
        EventType = NullableString(r, 13),
    };
}
