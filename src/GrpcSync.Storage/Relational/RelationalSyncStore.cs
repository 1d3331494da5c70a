using System.Data.Common;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;


namespace GrpcSync.Storage.Relational;

/// <summary>
/// The SQL that the SQLite and PostgreSQL stores share: both schemas have the same tables and
/// columns, so only connections, transactions, row locks and id types differ (the hooks below).
/// One connection per operation (a <see cref="StoreConnection"/> lease, which owns the operation's commands);
/// every write runs in one transaction.
/// </summary>
/// <remarks>
/// Storage conventions: timestamps are int64 unix milliseconds (read back as UTC
/// <see cref="DateTimeOffset"/>s, so sub-millisecond parts are dropped); enums are stored by name.
/// Open runs are those in state Queued or Running; snapshots list them oldest first (created_at, id).
/// Lock order, everywhere: a Sync's row first, then its runs and records.
/// </remarks>
public abstract partial class RelationalSyncStore : ISyncStore, IEngineStore, IRecordStore, ICredentialTokenStore
{
    private const string OpenStates = "state IN " + SqlLiterals.OpenRunStates;


    /// <summary>How many values one IN (...) list binds (both providers allow far more; this keeps statements small).</summary>
    private const int InListChunk = 500;


    private protected RelationalSyncStore()
    {
    }

    // ---- Provider hooks ----

    /// <summary>A connection for one operation; disposing the lease ends it (or gives it back for reuse).</summary>
    private protected abstract ValueTask<StoreConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>
    /// A transaction for a read-modify-write. SQLite: BEGIN IMMEDIATE (takes the database write lock
    /// at once). PostgreSQL: READ COMMITTED, used with <see cref="LockClause"/> on the rows it reads.
    /// </summary>
    private protected abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct);

    /// <summary>
    /// Waits for this store's turn to write where the provider lets only one writer in at a time
    /// (SQLite), so that writers of one process queue without blocking threads. Disposed when the
    /// write ends; null where there is nothing to wait for. Writers take it through <see cref="EnterWriteAsync"/>.
    /// </summary>
    private protected virtual ValueTask<IDisposable?> TakeWriteTurnAsync(CancellationToken ct) => ValueTask.FromResult<IDisposable?>(null);

    /// <summary>A transaction whose reads all see one snapshot.</summary>
    private protected abstract ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct);

    /// <summary>Appended to SELECTs that read rows to be changed: " FOR UPDATE", or "" where the transaction already locks.</summary>
    private protected abstract string LockClause { get; }

    /// <summary>
    /// Appended to the dispatcher's SELECT of candidate Syncs (aliased <paramref name="alias"/>): PostgreSQL
    /// <c>FOR UPDATE OF alias SKIP LOCKED</c>, so concurrent dispatchers never wait for (or pick) a Sync
    /// another one holds; "" where the write transaction already excludes every other writer (SQLite).
    /// </summary>
    private protected abstract string LockSkippingLocked(string alias);

    /// <summary>
    /// Suffix that keeps a read row from being changed until commit (PostgreSQL <c>FOR SHARE</c>), so a
    /// credential being bound cannot be deleted under us; empty where the write lock already covers it.
    /// </summary>
    private protected abstract string ShareLockClause { get; }

    /// <summary>
    /// A FROM source of each endpoint's first @top due Pending deliveries (columns id, endpoint_id,
    /// next_attempt_at), read from ix_webhook_deliveries_endpoint_due one endpoint at a time (PostgreSQL: LATERAL;
    /// SQLite: a correlated IN), so a delivery claim costs endpoints × @top index reads, not a pass over the backlog.
    /// Ordered by due time alone, which the index gives: a tie-break by id would sort an endpoint's whole backlog.
    /// </summary>
    private protected abstract string EachEndpointsFirstDueSql { get; }

    /// <summary>How an id is bound as a parameter (TEXT in SQLite, uuid in PostgreSQL).</summary>
    private protected abstract object IdParameter(Guid id);

    private protected abstract Guid ReadId(DbDataReader reader, int ordinal);

    /// <summary>
    /// The condition "<paramref name="column"/> is one of the ids bound to <paramref name="parameter"/>" (bound with
    /// <see cref="IdSetParameter"/>): one statement text whatever the count, so it is prepared once and kept, and one
    /// value to bind instead of one per id (an IN list of 500 named parameters is prepared and bound anew each time).
    /// </summary>
    private protected abstract string IdIsOneOf(string column, string parameter);

    /// <summary>The value of an <see cref="IdIsOneOf"/> parameter: the ids as one value.</summary>
    private protected abstract object IdSetParameter(IReadOnlyCollection<Guid> ids);

    /// <summary>
    /// Where a new Sync's row goes, as a column the INSERT also sets and that column's value (SQL, parameters from
    /// <see cref="AddSyncPlacementParameters"/>); null: where the store puts it (PostgreSQL: wherever the heap has room).
    /// SQLite places the row by its schedule (<see cref="Sqlite.SqliteSyncPlacement"/>).
    /// </summary>
    private protected virtual (string Column, string Value)? SyncPlacement => null;

    /// <summary>The parameters <see cref="SyncPlacement"/>'s value reads, for the Sync <paramref name="syncId"/>.</summary>
    private protected virtual void AddSyncPlacementParameters(DbCommand command, Guid syncId)
    {
    }

    private protected abstract string SchemaMigrationsTableSql { get; }

    private protected abstract IReadOnlyList<Migration> Migrations { get; }

    /// <summary>Runs once per <see cref="MigrateAsync"/> before any migration (e.g. SQLite's journal mode).</summary>
    private protected virtual Task BeforeMigrationsAsync(StoreConnection connection, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Serialises migrations across processes inside each migration's transaction.</summary>
    private protected virtual Task LockMigrationsAsync(StoreConnection connection, DbTransaction transaction, CancellationToken ct) =>
        Task.CompletedTask;

    /// <summary>Commits a write; when it appended events, tells this process's readers of the log (after the commit, never before).</summary>
    private async Task CommitAsync(StoreConnection connection, DbTransaction tx)
    {
        await tx.CommitAsync(CancellationToken.None);
        if (connection.AppendedEvents)
        {
            connection.AppendedEvents = false;
            Signals.Appended.Pulse();
        }
    }

    // ---- Schema ----

    /// <inheritdoc />
    public async Task MigrateAsync(CancellationToken ct = default)
    {
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await BeforeMigrationsAsync(connection, ct);
        foreach (var migration in Migrations)
        {
            await using var tx = await BeginWriteAsync(connection.Connection, ct);
            await LockMigrationsAsync(connection, tx, ct);
            await ExecuteAsync(connection, tx, SchemaMigrationsTableSql, ct);
            var applied = await ScalarAsync(connection, tx, "SELECT 1 FROM schema_migrations WHERE version = @version", ct,
                ("@version", migration.Version));
            if (applied is not null)
            {
                continue;
            }
            await ExecuteAsync(connection, tx, migration.Sql, ct);
            await ExecuteAsync(connection, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @applied_at)", ct,
                ("@version", migration.Version), ("@applied_at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            await tx.CommitAsync(CancellationToken.None);
        }
    }

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            await using var connection = await OpenConnectionAsync(ct);
            var result = await ScalarAsync(connection, null, "SELECT 1", ct);
            return result is not null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }
}
