using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// OAuth refresh coordination on the credential row (<see cref="ICredentialTokenStore"/>): the refresh lease, the
/// compare-and-swap secret rewrite and invalidation. Each lease or secret write is one UPDATE whose WHERE is the
/// whole condition, so the database's row lock decides between replicas (PostgreSQL re-checks the WHERE on the row
/// it waited for; SQLite has one writer at a time).
/// </summary>
public abstract partial class RelationalSyncStore
{
    private const string TakeRefreshLeaseSql =
        "UPDATE credentials SET refresh_holder = @holder, refresh_until = @until " +
        "WHERE id = @id AND deleted_at IS NULL AND invalid_at IS NULL " +
        "AND (refresh_until IS NULL OR refresh_until <= @now OR refresh_holder = @holder)";

    private const string ReleaseRefreshLeaseSql =
        "UPDATE credentials SET refresh_holder = NULL, refresh_until = NULL WHERE id = @id AND refresh_holder = @holder";

    private const string ReplaceSecretSql =
        "UPDATE credentials SET protected_secret = @protected_secret, secret_version = secret_version + 1, " +
        "refresh_until = CASE WHEN refresh_holder = @holder THEN NULL ELSE refresh_until END, " +
        "refresh_holder = CASE WHEN refresh_holder = @holder THEN NULL ELSE refresh_holder END " +
        "WHERE id = @id AND secret_version = @expected_version AND deleted_at IS NULL";

    private const string InvalidateSql =
        "UPDATE credentials SET invalid_at = @now, refresh_holder = NULL, refresh_until = NULL " +
        "WHERE id = @id AND secret_version = @expected_version AND deleted_at IS NULL AND invalid_at IS NULL";

    /// <inheritdoc />
    public Task<bool> TryTakeRefreshLeaseAsync(Guid credentialId, string holder, DateTimeOffset now, DateTimeOffset until,
        CancellationToken ct = default) =>
        WriteOneRowAsync(TakeRefreshLeaseSql, ct, ("@holder", holder), ("@until", Ms(until)), ("@id", IdParameter(credentialId)), ("@now", Ms(now)));

    /// <inheritdoc />
    public Task ReleaseRefreshLeaseAsync(Guid credentialId, string holder, CancellationToken ct = default) =>
        WriteOneRowAsync(ReleaseRefreshLeaseSql, ct, ("@id", IdParameter(credentialId)), ("@holder", holder));

    /// <inheritdoc />
    public Task<bool> ReplaceSecretAsync(Guid credentialId, long expectedVersion, string protectedSecret, string? holder,
        CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(protectedSecret);
        return WriteOneRowAsync(ReplaceSecretSql, ct, ("@protected_secret", protectedSecret), ("@holder", holder),
            ("@id", IdParameter(credentialId)), ("@expected_version", expectedVersion));
    }

    /// <inheritdoc />
    /// <remarks>The credential row first, then its Syncs: the order <see cref="DeleteCredentialAsync"/> locks them in.</remarks>
    public async Task<int?> InvalidateCredentialAsync(Guid credentialId, long expectedVersion, DateTimeOffset now,
        Func<SyncSnapshot, SyncChange<Sync>> onBoundSync, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(onBoundSync);
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var marked = await ExecuteAsync(connection, tx, InvalidateSql, ct,
            ("@now", Ms(now)), ("@id", IdParameter(credentialId)), ("@expected_version", expectedVersion));
        if (marked == 0)
        {
            return null;
        }
        IReadOnlyList<StoredSync> bound;
        {
            var select = Command(connection, tx,
                $"SELECT {SyncRowColumns} FROM syncs WHERE credential_id = @credential_id ORDER BY created_at, id" + LockClause,
                ("@credential_id", IdParameter(credentialId)));
            bound = await ReadAllAsync(select, ReadStoredSync, ct);
        }
        var changed = 0;
        foreach (var stored in bound)
        {
            var snapshot = await ReadSnapshotAsync(connection, tx, stored, ct);
            var change = onBoundSync(snapshot);
            if (change.NewSync is not null)
            {
                changed++;
            }
            await ApplyAsync(connection, tx, snapshot, stored.Row, change, ct);
        }
        await CommitAsync(connection, tx);
        return changed;
    }

    /// <summary>One statement in its own write transaction; true when it changed exactly one row.</summary>
    private async Task<bool> WriteOneRowAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var rows = await ExecuteAsync(connection, tx, sql, ct, parameters);
        await CommitAsync(connection, tx);
        return rows == 1;
    }
}
