using System.Data.Common;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// Keyed creates (AIP-155 idempotency keys). A key row (project, user, method, key) holds the request's hash
/// and the first answer; it is claimed in the same transaction as the insert of the resource, so a retry never
/// creates a second one, whatever the timing. Any create can use <see cref="CreateOnceAsync"/>.
/// </summary>
/// <remarks>
/// Concurrency: SQLite runs one writer at a time (BEGIN IMMEDIATE), so the claim sees every committed key.
/// On PostgreSQL the claim is an <c>INSERT … ON CONFLICT DO UPDATE … WHERE expired</c>: a second request with
/// the same key waits on the first one's uncommitted row, then either sees it committed (and replays it) or,
/// if the first rolled back, claims the key itself. The clean-up of expired keys skips rows another
/// transaction holds and never waits, so it cannot deadlock with a claim.
/// </remarks>
public abstract partial class RelationalSyncStore
{
    /// <summary>
    /// Most expired keys one created answer deletes: small enough that the clean-up never makes a create slow,
    /// while any steady flow of keyed creates removes expired keys faster than they come.
    /// </summary>
    internal const int ExpiredKeysPerCreate = 100;

    private const string KeyMatch =
        "project_id = @project_id AND user_id = @user_id AND method = @method AND idempotency_key = @idempotency_key";

    // An expired row is taken over in place: the same statement claims a new key and an expired one.
    private const string ClaimKeySql =
        "INSERT INTO idempotency_keys (project_id, user_id, method, idempotency_key, request_hash, response, created_at) " +
        "VALUES (@project_id, @user_id, @method, @idempotency_key, @request_hash, @response, @created_at) " +
        "ON CONFLICT (project_id, user_id, method, idempotency_key) DO UPDATE SET " +
        "request_hash = excluded.request_hash, response = excluded.response, created_at = excluded.created_at " +
        "WHERE idempotency_keys.created_at <= @expired_at";

    private const string ReadKeySql = "SELECT request_hash, response FROM idempotency_keys WHERE " + KeyMatch;

    /// <inheritdoc />
    public Task<IdempotentResult> InsertCredentialOnceAsync(Credential credential, IdempotentCreate create, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(create);
        if (new Scope(credential.ProjectId, credential.UserId) != create.Key.Scope)
        {
            throw new ArgumentException("The credential does not belong to the idempotency key's scope.", nameof(create));
        }
        return CreateOnceAsync(create, (connection, tx) => InsertCredentialRowAsync(connection, tx, credential, ct), ct);
    }

    /// <summary>
    /// Claims the key and runs <paramref name="insert"/> in one write transaction, or, when the key is live,
    /// writes nothing and reports the stored answer (same request hash) or the reuse (another hash).
    /// If <paramref name="insert"/> throws, nothing is written (the key stays free) and the exception propagates.
    /// </summary>
    private async Task<IdempotentResult> CreateOnceAsync(IdempotentCreate create, Func<StoreConnection, DbTransaction, Task> insert,
        CancellationToken ct)
    {
        Validate(create);
        var expiredAt = Ms(create.Now - IdempotentCreate.Window);
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var claimed = await ExecuteAsync(connection, tx, ClaimKeySql, ct,
            [.. KeyParameters(create.Key), ("@request_hash", create.RequestHash), ("@response", create.Response),
                ("@created_at", Ms(create.Now)), ("@expired_at", expiredAt)]) == 1;
        if (!claimed)
        {
            // A live key: the claim left it as it was (and, on PostgreSQL, locked it until we end).
            var stored = await ReadAllAsync(Command(connection, tx, ReadKeySql, KeyParameters(create.Key)),
                r => (Hash: r.GetFieldValue<byte[]>(0), Response: r.GetFieldValue<byte[]>(1)), ct);
            if (stored.Count != 1)
            {
                throw new InvalidOperationException($"Idempotency key '{create.Key.Key}' was neither claimed nor found.");
            }
            return stored[0].Hash.AsSpan().SequenceEqual(create.RequestHash)
                ? new IdempotentResult(IdempotencyOutcome.Replayed, stored[0].Response)
                : new IdempotentResult(IdempotencyOutcome.KeyReused, null);
        }
        await insert(connection, tx); // throws => rolled back by the disposal, key included
        await DeleteExpiredKeysAsync(connection, tx, expiredAt, ct);
        await CommitAsync(connection, tx);
        return new IdempotentResult(IdempotencyOutcome.Created, create.Response);
    }

    /// <summary>
    /// Deletes at most <see cref="ExpiredKeysPerCreate"/> expired keys, oldest first (ix_idempotency_keys_created),
    /// so expired keys go away a little with every keyed create instead of in one large, blocking delete.
    /// </summary>
    private async Task DeleteExpiredKeysAsync(StoreConnection connection, DbTransaction tx, long expiredAt, CancellationToken ct) =>
        await ExecuteAsync(connection, tx,
            "DELETE FROM idempotency_keys WHERE (project_id, user_id, method, idempotency_key) IN (" +
            "SELECT k.project_id, k.user_id, k.method, k.idempotency_key FROM idempotency_keys k " +
            "WHERE k.created_at <= @expired_at ORDER BY k.created_at LIMIT @max" + LockSkippingLocked("k") + ")", ct,
            ("@expired_at", expiredAt), ("@max", ExpiredKeysPerCreate));

    private static (string Name, object? Value)[] KeyParameters(IdempotencyKey key) =>
    [
        ("@project_id", key.Scope.ProjectId), ("@user_id", key.Scope.UserId),
        ("@method", key.Method), ("@idempotency_key", key.Key),
    ];

    private static void Validate(IdempotentCreate create)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentException.ThrowIfNullOrEmpty(create.Key.Method, nameof(create));
        ArgumentException.ThrowIfNullOrEmpty(create.Key.Key, nameof(create));
        ArgumentException.ThrowIfNullOrEmpty(create.Key.Scope.ProjectId, nameof(create));
        ArgumentException.ThrowIfNullOrEmpty(create.Key.Scope.UserId, nameof(create));
        ArgumentNullException.ThrowIfNull(create.Response, nameof(create));
        if (create.RequestHash is not { Length: > 0 })
        {
            throw new ArgumentException("A keyed create needs the request's hash.", nameof(create));
        }
    }
}
