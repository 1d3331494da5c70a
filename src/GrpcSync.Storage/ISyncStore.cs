using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// Where GrpcSync keeps Syncs, runs and credentials. Two implementations (SQLite, PostgreSQL) pass one
/// contract test suite. Every read and write of user data is scoped to a (project, user): a Sync or
/// credential of another scope is "not found". Times are kept to the millisecond and read back in UTC.
/// </summary>
public interface ISyncStore
{
    /// <summary>Applies pending versioned schema migrations. Safe to call from several replicas at once.</summary>
    Task MigrateAsync(CancellationToken ct = default);

    /// <summary>True when the store answers a trivial query (health checks).</summary>
    Task<bool> PingAsync(CancellationToken ct = default);

    // ---- Syncs ----

    /// <summary>
    /// Inserts the Sync with its initial run unless a Sync with that id exists. Returns the stored
    /// Sync (the existing one when not created) and whether it was created. The initial run must belong
    /// to the Sync (else <see cref="ArgumentException"/>).
    /// </summary>
    Task<(Sync Sync, bool Created)> InsertSyncAsync(Sync sync, SyncRun initialRun, CancellationToken ct = default);

    /// <summary>The Sync with its open (queued or running) runs, oldest first (created_at, id), or null.</summary>
    Task<SyncSnapshot?> GetSyncAsync(Scope scope, Guid syncId, CancellationToken ct = default);

    /// <summary>The scope's Syncs, oldest first, optionally only those bound to a credential.</summary>
    Task<IReadOnlyList<Sync>> ListSyncsAsync(Scope scope, Guid? credentialId, CancellationToken ct = default);

    /// <summary>
    /// Reads the Sync and its open runs under a write lock, lets <paramref name="decide"/> (pure domain
    /// code) compute a change, and applies it in the same transaction. Concurrent mutations of one
    /// Sync are serialised, so none is lost. If <paramref name="decide"/> throws, nothing is written
    /// and the exception propagates. Returns null when the Sync does not exist in the scope.
    /// The change is checked before it is written, else <see cref="InvalidOperationException"/> and nothing
    /// is written: a new Sync keeps its id, scope and incarnation and has the snapshot's <see cref="Sync.Version"/> + 1;
    /// inserted and updated runs belong to the Sync, and updated runs exist. Of an updated run only state,
    /// due_at, started_at, finished_at, attempt, error, retries, lease_owner and lease_expires_at are written.
    /// The Sync's records (and the store's record counter) are not touched. The change's
    /// <see cref="SyncChange{T}.Events"/> are logged in the same transaction, in order, with the Sync's next sequences.
    /// </summary>
    Task<SyncChange<T>?> MutateSyncAsync<T>(Scope scope, Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide, CancellationToken ct = default);

    /// <summary>
    /// Deletes the Sync and everything it owns (runs, records), logging <c>sync_deleted</c> at <paramref name="now"/>
    /// in the same transaction (the Sync's events stay). False when not found.
    /// </summary>
    Task<bool> DeleteSyncAsync(Scope scope, Guid syncId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// Runs of a Sync newest first (created_at desc, id desc), at most <paramref name="limit"/> (at least 1),
    /// starting after <paramref name="after"/>, with the Sync's incarnation read in the same snapshot.
    /// Null when the Sync is not in the scope.
    /// </summary>
    Task<RunsPage?> ListRunsAsync(Scope scope, Guid syncId, int limit, RunPosition? after, CancellationToken ct = default);

    /// <summary>
    /// One run of a Sync in the scope, or null. A run that changed nothing and was folded into a collapsed history
    /// entry (<see cref="Domain.RunHistory"/>) is answered by that entry, whose id is its first run's.
    /// </summary>
    Task<SyncRun?> GetRunAsync(Scope scope, Guid syncId, Guid runId, CancellationToken ct = default);

    // ---- Credentials ----

    /// <summary>Stores a new credential; <see cref="InvalidOperationException"/> when the id is taken (even by a deleted one).</summary>
    Task InsertCredentialAsync(Credential credential, CancellationToken ct = default);

    /// <summary>
    /// Stores a new credential once per idempotency key: in one transaction, the key is claimed and the
    /// credential inserted, so concurrent requests with one key write one credential and all get its answer.
    /// A live key (younger than <see cref="IdempotentCreate.Window"/>) with the same request hash is
    /// <see cref="IdempotencyOutcome.Replayed"/> with the first answer, with another hash
    /// <see cref="IdempotencyOutcome.KeyReused"/>; an expired key is claimed anew. The credential must belong to
    /// the key's scope (else <see cref="ArgumentException"/>). If the insert fails, the key is not kept.
    /// Each created answer also deletes a few expired keys (of any scope).
    /// </summary>
    Task<IdempotentResult> InsertCredentialOnceAsync(Credential credential, IdempotentCreate create, CancellationToken ct = default);

    /// <summary>A credential of the scope that is not deleted, or null.</summary>
    Task<Credential?> GetCredentialAsync(Scope scope, Guid credentialId, CancellationToken ct = default);

    /// <summary>The scope's credentials that are not deleted, oldest first, optionally of one integration.</summary>
    Task<IReadOnlyList<Credential>> ListCredentialsAsync(Scope scope, string? integration, CancellationToken ct = default);

    /// <summary>
    /// Soft-deletes a credential and, in the same transaction, applies <paramref name="onBoundSync"/> to
    /// every Sync bound to it (the domain errors them). False when not found or already deleted.
    /// Bound Syncs are those of the same scope with that credential_id, visited oldest first; each change
    /// is checked and written as by <see cref="MutateSyncAsync{T}"/>. If <paramref name="onBoundSync"/>
    /// throws, nothing is written (the credential stays) and the exception propagates.
    /// </summary>
    Task<bool> DeleteCredentialAsync(Scope scope, Guid credentialId, DateTimeOffset now,
        Func<SyncSnapshot, SyncChange<Sync>> onBoundSync, CancellationToken ct = default);
}
