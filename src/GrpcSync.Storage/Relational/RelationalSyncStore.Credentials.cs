using System.Data.Common;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>Credentials: insert, read, list, soft-delete (erroring the Syncs bound to it), and the live-binding check.</summary>
public abstract partial class RelationalSyncStore
{
    /// <inheritdoc />
    public async Task InsertCredentialAsync(Credential credential, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // a new row: none kept is touched
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        await InsertCredentialRowAsync(connection, tx, credential, ct);
        await CommitAsync(connection, tx);
    }

    /// <summary>Inside a write transaction: inserts the credential; <see cref="InvalidOperationException"/> when the id is taken.</summary>
    private async Task InsertCredentialRowAsync(StoreConnection connection, DbTransaction tx, Credential credential, CancellationToken ct)
    {
        var inserted = await ExecuteAsync(connection, tx,
            $"INSERT INTO credentials ({CredentialInsertColumns}) VALUES " +
            "(@id, @project_id, @user_id, @integration, @display_name, @protected_secret, @created_at, @deleted_at) " +
            "ON CONFLICT (id) DO NOTHING", ct,
            ("@id", IdParameter(credential.Id)), ("@project_id", credential.ProjectId), ("@user_id", credential.UserId),
            ("@integration", credential.Integration), ("@display_name", credential.DisplayName),
            ("@protected_secret", credential.ProtectedSecret), ("@created_at", Ms(credential.CreatedAt)),
            ("@deleted_at", Ms(credential.DeletedAt)));
        if (inserted != 1)
        {
            throw new InvalidOperationException($"A credential with id {credential.Id} already exists.");
        }
    }

    /// <inheritdoc />
    public Task<Credential?> GetCredentialAsync(Scope scope, Guid credentialId, CancellationToken ct = default) =>
        GetCredentialCoreAsync(scope, credentialId, ct);

    /// <inheritdoc />
    public Task<Credential?> GetCredentialAsync(Guid credentialId, CancellationToken ct = default) =>
        GetCredentialCoreAsync(scope: null, credentialId, ct);

    private async Task<Credential?> GetCredentialCoreAsync(Scope? scope, Guid credentialId, CancellationToken ct)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var command = Command(connection, null,
            $"SELECT {CredentialColumns} FROM credentials WHERE id = @id AND deleted_at IS NULL" +
            (scope is null ? "" : " AND project_id = @project_id AND user_id = @user_id"),
            ("@id", IdParameter(credentialId)));
        if (scope is { } s)
        {
            AddParameter(command, "@project_id", s.ProjectId);
            AddParameter(command, "@user_id", s.UserId);
        }
        var found = await ReadAllAsync(command, ReadCredential, ct);
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Credential>> ListCredentialsAsync(Scope scope, string? integration, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var sql = $"SELECT {CredentialColumns} FROM credentials " +
                  "WHERE project_id = @project_id AND user_id = @user_id AND deleted_at IS NULL" +
                  (integration is null ? "" : " AND integration = @integration") +
                  " ORDER BY created_at, id";
        var command = Command(connection, null, sql, ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        if (integration is not null)
        {
            AddParameter(command, "@integration", integration);
        }
        return await ReadAllAsync(command, ReadCredential, ct);
    }

    /// <inheritdoc />
    /// <remarks>Sets deleted_at to <paramref name="now"/>.</remarks>
    public async Task<bool> DeleteCredentialAsync(Scope scope, Guid credentialId, DateTimeOffset now,
        Func<SyncSnapshot, SyncChange<Sync>> onBoundSync, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(onBoundSync);
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var deleted = await ExecuteAsync(connection, tx,
            "UPDATE credentials SET deleted_at = @now " +
            "WHERE id = @id AND project_id = @project_id AND user_id = @user_id AND deleted_at IS NULL", ct,
            ("@now", Ms(now)), ("@id", IdParameter(credentialId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        if (deleted == 0)
        {
            return false;
        }

        IReadOnlyList<StoredSync> bound;
        {
            var select = Command(connection, tx,
                $"SELECT {SyncRowColumns} FROM syncs " +
                "WHERE project_id = @project_id AND user_id = @user_id AND credential_id = @credential_id " +
                "ORDER BY created_at, id" + LockClause,
                ("@project_id", scope.ProjectId), ("@user_id", scope.UserId), ("@credential_id", IdParameter(credentialId)));
            bound = await ReadAllAsync(select, ReadStoredSync, ct);
        }
        foreach (var stored in bound)
        {
            var snapshot = await ReadSnapshotAsync(connection, tx, stored, ct);
            var change = onBoundSync(snapshot);
            await ApplyAsync(connection, tx, snapshot, stored.Row, change, ct);
        }
        await CommitAsync(connection, tx);
        return true;
    }

    /// <summary>
    /// A Sync may only be bound to a credential of its scope that is not deleted. Checked inside the
    /// write transaction so that a concurrent DeleteCredentialAsync either sees the new binding (and
    /// errors the Sync) or makes this write fail; the API's earlier check alone leaves a window.
    /// </summary>
    private async Task EnsureCredentialLiveAsync(StoreConnection connection, DbTransaction tx, Scope scope, Guid? credentialId,
        CancellationToken ct)
    {
        if (credentialId is not { } id)
        {
            return;
        }
        var command = Command(connection, tx,
            "SELECT id FROM credentials WHERE id = @id AND project_id = @project_id AND user_id = @user_id " +
            "AND deleted_at IS NULL" + ShareLockClause,
            ("@id", IdParameter(id)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw DomainException.CredentialNotFound(id.ToString());
        }
    }
}
