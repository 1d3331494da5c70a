using System.Data.Common;
using GrpcSync.Domain.Webhooks;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// Webhook endpoints (<c>webhook_endpoints</c>): insert, read, page, locked read-modify-write, delete. Every
/// statement names the project, so another project's endpoint is never read or changed. Event types are one
/// space-separated column ('' = every type); deliveries go with their endpoint (ON DELETE CASCADE).
/// </summary>
public abstract partial class RelationalSyncStore : IWebhookStore
{
    private const string WebhookColumns =
        "id, project_id, url, description, event_types, enabled, disabled_reason, secret, previous_secret, " +
        "previous_secret_expires_at, created_at, updated_at, last_success_at, failing_since";

    /// <inheritdoc />
    public async Task InsertWebhookAsync(WebhookEndpoint endpoint, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // webhook tables only
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var inserted = await ExecuteAsync(connection, tx,
            $"INSERT INTO webhook_endpoints ({WebhookColumns}) VALUES " +
            "(@id, @project_id, @url, @description, @event_types, @enabled, @disabled_reason, @secret, @previous_secret, " +
            "@previous_secret_expires_at, @created_at, @updated_at, @last_success_at, @failing_since) " +
            "ON CONFLICT (id) DO NOTHING", ct,
            WebhookValues(endpoint));
        if (inserted != 1)
        {
            throw new InvalidOperationException($"A webhook endpoint with id {endpoint.Id} already exists.");
        }
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task<WebhookEndpoint?> GetWebhookAsync(string projectId, Guid webhookId, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var found = await ReadAllAsync(Command(connection, null,
            $"SELECT {WebhookColumns} FROM webhook_endpoints WHERE id = @id AND project_id = @project_id",
            ("@id", IdParameter(webhookId)), ("@project_id", projectId)), ReadWebhook, ct);
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(string projectId, Guid? afterId, int limit,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenConnectionAsync(ct);
        // Two texts rather than "@after IS NULL OR id > @after": each plans as one range read of the project's index.
        var command = afterId is { } after
            ? Command(connection, null,
                $"SELECT {WebhookColumns} FROM webhook_endpoints WHERE project_id = @project_id AND id > @after ORDER BY id LIMIT @limit",
                ("@project_id", projectId), ("@after", IdParameter(after)), ("@limit", limit))
            : Command(connection, null,
                $"SELECT {WebhookColumns} FROM webhook_endpoints WHERE project_id = @project_id ORDER BY id LIMIT @limit",
                ("@project_id", projectId), ("@limit", limit));
        return await ReadAllAsync(command, ReadWebhook, ct);
    }

    /// <inheritdoc />
    public async Task<WebhookEndpoint?> MutateWebhookAsync(string projectId, Guid webhookId,
        Func<WebhookEndpoint, WebhookEndpoint> change, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // webhook tables only
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var found = await ReadAllAsync(Command(connection, tx,
            $"SELECT {WebhookColumns} FROM webhook_endpoints WHERE id = @id AND project_id = @project_id" + LockClause,
            ("@id", IdParameter(webhookId)), ("@project_id", projectId)), ReadWebhook, ct);
        if (found.Count == 0)
        {
            return null;
        }
        var changed = change(found[0]);
        if (changed.Id != webhookId || changed.ProjectId != projectId)
        {
            throw new InvalidOperationException("A webhook change must keep the endpoint's id and project.");
        }
        // Delivery's columns (last_success_at, failing_since) are written too: a PATCH that enables an endpoint
        // clears failing_since, and the row lock keeps a concurrent delivery update from being lost in between.
        await ExecuteAsync(connection, tx,
            "UPDATE webhook_endpoints SET url = @url, description = @description, event_types = @event_types, " +
            "enabled = @enabled, disabled_reason = @disabled_reason, secret = @secret, previous_secret = @previous_secret, " +
            "previous_secret_expires_at = @previous_secret_expires_at, updated_at = @updated_at, " +
            "last_success_at = @last_success_at, failing_since = @failing_since " +
            "WHERE id = @id AND project_id = @project_id", ct,
            WebhookValues(changed));
        await tx.CommitAsync(CancellationToken.None);
        return changed;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteWebhookAsync(string projectId, Guid webhookId, CancellationToken ct = default)
    {
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // webhook tables only
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var deleted = await ExecuteAsync(connection, tx,
            "DELETE FROM webhook_endpoints WHERE id = @id AND project_id = @project_id", ct,
            ("@id", IdParameter(webhookId)), ("@project_id", projectId));
        await tx.CommitAsync(CancellationToken.None);
        return deleted == 1;
    }

    private (string Name, object? Value)[] WebhookValues(WebhookEndpoint e) =>
    [
        ("@id", IdParameter(e.Id)), ("@project_id", e.ProjectId), ("@url", e.Url), ("@description", e.Description),
        ("@event_types", string.Join(' ', e.EventTypes)), ("@enabled", e.Enabled), ("@disabled_reason", e.DisabledReason),
        ("@secret", e.ProtectedSecret), ("@previous_secret", e.ProtectedPreviousSecret),
        ("@previous_secret_expires_at", Ms(e.PreviousSecretExpiresAt)), ("@created_at", Ms(e.CreatedAt)),
        ("@updated_at", Ms(e.UpdatedAt)), ("@last_success_at", Ms(e.LastSuccessAt)),
        ("@failing_since", Ms(e.FailingSince)),
    ];

    private WebhookEndpoint ReadWebhook(DbDataReader r) => new()
    {
        Id = ReadId(r, 0),
        ProjectId = r.GetString(1),
        Url = r.GetString(2),
        Description = r.GetString(3),
        EventTypes = r.GetString(4).Split(' ', StringSplitOptions.RemoveEmptyEntries),
        Enabled = r.GetBoolean(5),
        DisabledReason = NullableString(r, 6),
        ProtectedSecret = r.GetString(7),
        ProtectedPreviousSecret = NullableString(r, 8),
        PreviousSecretExpiresAt = NullableTime(r, 9),
        CreatedAt = Time(r, 10),
        UpdatedAt = Time(r, 11),
        LastSuccessAt = NullableTime(r, 12),
        FailingSince = NullableTime(r, 13),
    };
}
