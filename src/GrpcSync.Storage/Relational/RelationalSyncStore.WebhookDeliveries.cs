using System.Data.Common;
using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// Webhook deliveries for the workers: leased claims (like runs), fenced results, endpoint health and disabling.
/// </summary>
public abstract partial class RelationalSyncStore : IWebhookDeliveryStore
{
    private const string DeliveryDue = $"state = {SqlLiterals.DeliveryPending} AND next_attempt_at <= @now";

    private const string ClaimedDeliveryColumns =
        "d.id, d.endpoint_id, d.project_id, d.attempts, w.url, w.enabled, w.secret, w.previous_secret, w.previous_secret_expires_at, d.lease_expires_at, " +
        "d.event_id, ";

    /// <summary>
    /// The due deliveries to lease: at most @per of each endpoint (@ahead of the prefetched ones), ranked by due
    /// time among each endpoint's first @top (<see cref="EachEndpointsFirstDueSql"/>: the ranking never passes
    /// over the whole backlog), locked as picked. The outer WHERE repeats the due test so that PostgreSQL
    /// re-checks it on the row's latest version once locked: a row another worker leased and committed after
    /// this statement's snapshot is no longer due and is not taken twice.
    /// </summary>
    private string ClaimCandidatesSql(int excluded, int prefetched) =>
        "SELECT d.id FROM webhook_deliveries d WHERE d.state = " + SqlLiterals.DeliveryPending + " AND d.next_attempt_at <= @now AND d.id IN " +
        "(SELECT id FROM (SELECT id, endpoint_id, ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS place " +
        $"FROM {EachEndpointsFirstDueSql} AS firsts" +
        (excluded == 0 ? "" : $" WHERE endpoint_id NOT IN ({InList("@x", excluded)})") +
        ") AS ranked WHERE place <= " +
        (prefetched == 0 ? "@per" : $"CASE WHEN endpoint_id IN ({InList("@f", prefetched)}) THEN @ahead ELSE @per END") + ") " +
        "ORDER BY d.next_attempt_at, d.id LIMIT @max" + LockSkippingLocked("d");

    /// <inheritdoc />
    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimDeliveriesAsync(DeliveryClaim claim, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentException.ThrowIfNullOrEmpty(claim.Owner);
        ArgumentOutOfRangeException.ThrowIfLessThan(claim.Max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(claim.PerEndpoint, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(claim.PerPrefetchedEndpoint, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(claim.Lease, TimeSpan.Zero);
        var now = claim.Now;
        await using (var probe = await OpenConnectionAsync(ct))
        {
            // Idle workers poll: look first without the write lock (the partial due index), so polling never queues behind writers.
            if (await ScalarAsync(probe, null, $"SELECT 1 FROM webhook_deliveries WHERE {DeliveryDue} LIMIT 1", ct, ("@now", Ms(now))) is null)
            {
                return [];
            }
        }
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // webhook tables only
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var excluded = claim.Excluded.ToArray();
        var prefetched = claim.Prefetched.ToArray();
        var parameters = new List<(string, object?)>
        {
            ("@now", Ms(now)), ("@per", claim.PerEndpoint), ("@ahead", claim.PerPrefetchedEndpoint), ("@max", claim.Max),
            ("@top", Math.Max(claim.PerEndpoint, prefetched.Length == 0 ? 0 : claim.PerPrefetchedEndpoint)),
        };
        parameters.AddRange(excluded.Select((id, i) => ($"@x{i}", (object?)IdParameter(id))));
        parameters.AddRange(prefetched.Select((id, i) => ($"@f{i}", (object?)IdParameter(id))));
        var candidates = OneOffCommand(connection, tx, ClaimCandidatesSql(excluded.Length, prefetched.Length), [.. parameters]);
        var ids = await ReadAllAsync(candidates, r => ReadId(r, 0), ct);
        if (ids.Count == 0)
        {
            await tx.CommitAsync(CancellationToken.None);
            return [];
        }
        var until = Ms(now + claim.Lease);
        var claimed = new List<ClaimedDelivery>(ids.Count);
        foreach (var chunk in ids.Chunk(InListChunk))
        {
            var idParameters = chunk.Select((id, i) => ($"@i{i}", IdParameter(id))).ToList();
            var leasing = OneOffCommand(connection, tx,
                "UPDATE webhook_deliveries SET lease_owner = @owner, lease_expires_at = @until, next_attempt_at = @until, updated_at = @now " +
                $"WHERE id IN ({InList("@i", chunk.Length)})",
                [("@owner", claim.Owner), ("@until", until), ("@now", Ms(now)), .. idParameters]);
            await leasing.ExecuteNonQueryAsync(ct);
            var read = OneOffCommand(connection, tx,
                $"SELECT {ClaimedDeliveryColumns}{PrefixedEventColumns} FROM webhook_deliveries d " +
                "JOIN webhook_endpoints w ON w.id = d.endpoint_id LEFT JOIN sync_events e ON e.event_id = d.log_event_id " +
                $"WHERE d.id IN ({InList("@i", chunk.Length)})",
                [.. idParameters]);
            claimed.AddRange(await ReadAllAsync(read, ReadClaimedDelivery, ct));
        }
        await tx.CommitAsync(CancellationToken.None);
        return claimed;
    }

    private static readonly string PrefixedEventColumns = string.Join(", ", EventColumns.Split(", ").Select(c => "e." + c));

    private ClaimedDelivery ReadClaimedDelivery(DbDataReader r) => new(
        Id: ReadId(r, 0),
        EndpointId: ReadId(r, 1),
        ProjectId: r.GetString(2),
        Attempts: r.GetInt32(3),
        Url: r.GetString(4),
        EndpointEnabled: r.GetBoolean(5),
        ProtectedSecret: r.GetString(6),
        PreviousProtectedSecret: r.IsDBNull(7) ? null : r.GetString(7),
        PreviousSecretExpiresAt: NullableTime(r, 8),
        Event: EventOfRow(r, ReadId(r, 10), 11),
        LeaseExpiresAt: Time(r, 9));

    /// <summary>The event <paramref name="eventId"/> of the row read at <paramref name="at"/>; null when retention removed the row.</summary>
    private LoggedEvent? EventOfRow(DbDataReader r, Guid eventId, int at) =>
        r.IsDBNull(at) ? null : ReadEventRow(r, at).FirstOrDefault(e => e.Id == eventId);

    private const string RecordResultSql =
        "UPDATE webhook_deliveries SET state = @state, attempts = @attempts, next_attempt_at = @next, lease_owner = NULL, " +
        "lease_expires_at = NULL, last_attempt_at = @at, last_status_code = @code, last_error = @error, updated_at = @at " +
        $"WHERE id = @id AND lease_owner = @owner AND attempts = @before AND state = {SqlLiterals.DeliveryPending}";

    private const string EndpointSucceededSql =
        "UPDATE webhook_endpoints SET last_success_at = @at, failing_since = NULL WHERE id = @id";

    private const string EndpointFailedSql =
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, @at) WHERE id = @id";

    private const string DisableEndpointSql =
        "UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = @reason, updated_at = @at WHERE id = @id AND enabled";

    /// <summary>An endpoint's pending deliveries when it is disabled: Failed (not dropped), listed for redelivery.</summary>
    private const string FailPendingOfEndpointSql =
        $"UPDATE webhook_deliveries SET state = {SqlLiterals.DeliveryFailed}, next_attempt_at = NULL, lease_owner = NULL, " +
        "lease_expires_at = NULL, last_error = COALESCE(last_error, @reason), updated_at = @at " +
        $"WHERE endpoint_id = @id AND state = {SqlLiterals.DeliveryPending}";

    /// <inheritdoc />
    public async Task<int> RecordDeliveryResultsAsync(string owner, IReadOnlyList<DeliveryResult> results, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        if (results.Count == 0)
        {
            return 0;
        }
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // webhook tables only
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        // The endpoints first, in id order, then their deliveries: the order a webhook's delete takes (the endpoint,
        // then its deliveries by cascade), so results, deletes and other workers' results never wait on each other in a circle.
        foreach (var chunk in results.Select(r => r.EndpointId).Distinct().Order().Chunk(InListChunk))
        {
            await ReadAllAsync(OneOffCommand(connection, tx,
                $"SELECT id FROM webhook_endpoints WHERE id IN ({InList("@e", chunk.Length)}) ORDER BY id" + LockClause,
                [.. chunk.Select((id, i) => ($"@e{i}", (object?)IdParameter(id)))]), r => r.GetValue(0), ct);
        }
        var applied = 0;
        foreach (var result in results)
        {
            var at = Ms(result.AttemptedAt);
            var endpoint = IdParameter(result.EndpointId);
            var written = await ExecuteAsync(connection, tx, RecordResultSql, ct,
                ("@state", result.State.ToString()), ("@attempts", result.Attempts), ("@next", Ms(result.NextAttemptAt)), ("@at", at),
                ("@code", result.StatusCode), ("@error", result.Error), ("@id", IdParameter(result.DeliveryId)), ("@owner", owner),
                ("@before", result.AttemptsBefore));
            if (written == 0)
            {
                continue; // lease lost (expired and reclaimed, or the endpoint was disabled meanwhile)
            }
            applied++;
            switch (result.Effect)
            {
                case EndpointEffect.Succeeded:
                    await ExecuteAsync(connection, tx, EndpointSucceededSql, ct, ("@at", at), ("@id", endpoint));
                    break;
                case EndpointEffect.Failed:
                    await ExecuteAsync(connection, tx, EndpointFailedSql, ct, ("@at", at), ("@id", endpoint));
                    break;
                case EndpointEffect.Gone:
                    var reason = result.DisabledReason ?? "disabled";
                    await ExecuteAsync(connection, tx, EndpointFailedSql, ct, ("@at", at), ("@id", endpoint));
                    await ExecuteAsync(connection, tx, DisableEndpointSql, ct, ("@reason", reason), ("@at", at), ("@id", endpoint));
                    await ExecuteAsync(connection, tx, FailPendingOfEndpointSql, ct, ("@reason", reason), ("@at", at), ("@id", endpoint));
                    break;
            }
        }
        await tx.CommitAsync(CancellationToken.None);
        return applied;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DisabledEndpoint>> DisableFailingEndpointsAsync(DateTimeOffset failingBefore, DateTimeOffset now,
        Func<DateTimeOffset, string> reason, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        await using (var probe = await OpenConnectionAsync(ct))
        {
            if (await ScalarAsync(probe, null, "SELECT 1 FROM webhook_endpoints WHERE enabled AND failing_since <= @cutoff LIMIT 1", ct,
                    ("@cutoff", Ms(failingBefore))) is null)
            {
                return [];
            }
        }
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // webhook tables only
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var failing = await ReadAllAsync(Command(connection, tx,
                "SELECT id, project_id, failing_since FROM webhook_endpoints WHERE enabled AND failing_since <= @cutoff" + LockClause,
                ("@cutoff", Ms(failingBefore))),
            r => (Id: ReadId(r, 0), ProjectId: r.GetString(1), FailingSince: Time(r, 2)), ct);
        var disabled = new List<DisabledEndpoint>(failing.Count);
        foreach (var (id, projectId, failingSince) in failing)
        {
            var why = reason(failingSince);
            await ExecuteAsync(connection, tx, DisableEndpointSql, ct, ("@reason", why), ("@at", Ms(now)), ("@id", IdParameter(id)));
            await ExecuteAsync(connection, tx, FailPendingOfEndpointSql, ct, ("@reason", why), ("@at", Ms(now)), ("@id", IdParameter(id)));
            disabled.Add(new DisabledEndpoint(id, projectId, failingSince, why));
        }
        await tx.CommitAsync(CancellationToken.None);
        return disabled;
    }
}
