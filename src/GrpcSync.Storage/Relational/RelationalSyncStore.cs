using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using GrpcSync.Domain;

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
public abstract partial class RelationalSyncStore : ISyncStore, IEngineStore, IRecordStore
{
    private const string OpenStates = "state IN ('Queued', 'Running')";

    /// <summary>The columns a Sync is written to (insert, and the changed ones on update).</summary>
    private const string SyncColumns =
        "id, project_id, user_id, integration, pipeline, configuration_name, configuration_json, credential_id, " +
        "frequency, status, reason, rate_limit_backoff_ms, next_run_at, last_run_started_at, last_synced_at, " +
        "total_records, synced_records_count, incarnation, version, created_at, updated_at, source_cursor, last_full_sync_at";

    /// <summary>
    /// The columns a Sync is read from: also record_sequence, the store's own counter (only page writes set it),
    /// which is <see cref="Sync.LatestRecordSequence"/>: every change takes the next sequence, so it is the highest.
    /// </summary>
    private const string SyncReadColumns = SyncColumns + ", record_sequence";

    private const string RunColumns =
        "id, sync_id, run_type, run_trigger, state, created_at, due_at, started_at, finished_at, attempt, error, " +
        "retries, lease_owner, lease_expires_at";

    private const string RecordColumns =
        "sync_id, id, external_id, sequence, deleted, data_json, fingerprint, synced_at";

    /// <summary>How many values one IN (...) list binds (both providers allow far more; this keeps statements small).</summary>
    private const int InListChunk = 500;

    private const string CredentialColumns =
        "id, project_id, user_id, integration, display_name, protected_secret, created_at, deleted_at";

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
    /// write ends; null where there is nothing to wait for.
    /// </summary>
    private protected virtual ValueTask<IDisposable?> EnterWriteAsync(CancellationToken ct) => ValueTask.FromResult<IDisposable?>(null);

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

    /// <summary>How an id is bound as a parameter (TEXT in SQLite, uuid in PostgreSQL).</summary>
    private protected abstract object IdParameter(Guid id);

    private protected abstract Guid ReadId(DbDataReader reader, int ordinal);

    private protected abstract string SchemaMigrationsTableSql { get; }

    private protected abstract IReadOnlyList<Migration> Migrations { get; }

    /// <summary>Runs once per <see cref="MigrateAsync"/> before any migration (e.g. SQLite's journal mode).</summary>
    private protected virtual Task BeforeMigrationsAsync(StoreConnection connection, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Serialises migrations across processes inside each migration's transaction.</summary>
    private protected virtual Task LockMigrationsAsync(StoreConnection connection, DbTransaction transaction, CancellationToken ct) =>
        Task.CompletedTask;

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

    // ---- Syncs ----

    /// <inheritdoc />
    /// <remarks>
    /// Sync ids are derived from the scope, so an existing Sync of another scope means a broken caller:
    /// that throws <see cref="InvalidOperationException"/> rather than leak it.
    /// </remarks>
    public async Task<(Sync Sync, bool Created)> InsertSyncAsync(Sync sync, SyncRun initialRun, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(initialRun);
        if (initialRun.SyncId != sync.Id)
        {
            throw new ArgumentException($"The initial run belongs to Sync {initialRun.SyncId}, not {sync.Id}.", nameof(initialRun));
        }

        // A retry is needed only if the existing row is deleted between our INSERT and our read
        // (PostgreSQL, READ COMMITTED); SQLite's write lock rules that out.
        using var turn = await EnterWriteAsync(ct);
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var tx = await BeginWriteAsync(connection.Connection, ct);
            {
                var insert = Command(connection, tx,
                    $"INSERT INTO syncs ({SyncColumns}) VALUES ({SyncValues}) ON CONFLICT (id) DO NOTHING");
                AddSyncParameters(insert, sync);
                var created = await insert.ExecuteNonQueryAsync(ct) == 1;
                if (created)
                {
                    await EnsureCredentialLiveAsync(connection, tx, sync.Scope, sync.CredentialId, ct);
                    await InsertRunAsync(connection, tx, initialRun, ct);
                }
                var stored = await ReadSyncAsync(connection, tx, sync.Id, scope: null, lockRow: false, ct);
                if (stored is null)
                {
                    if (attempt < 3)
                    {
                        continue;
                    }
                    throw new InvalidOperationException($"Sync {sync.Id} kept disappearing while it was inserted.");
                }
                if (stored.Scope != sync.Scope)
                {
                    throw new InvalidOperationException($"Sync id {sync.Id} is already used in another scope.");
                }
                await tx.CommitAsync(CancellationToken.None);
                return (stored, created);
            }
        }
    }

    /// <inheritdoc />
    public Task<SyncSnapshot?> GetSyncAsync(Scope scope, Guid syncId, CancellationToken ct = default) =>
        GetSyncCoreAsync(scope, syncId, ct);

    /// <inheritdoc />
    public Task<SyncSnapshot?> GetSyncAsync(Guid syncId, CancellationToken ct = default) =>
        GetSyncCoreAsync(scope: null, syncId, ct);

    private async Task<SyncSnapshot?> GetSyncCoreAsync(Scope? scope, Guid syncId, CancellationToken ct)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginReadAsync(connection.Connection, ct);
        var sync = await ReadSyncAsync(connection, tx, syncId, scope, lockRow: false, ct);
        if (sync is null)
        {
            return null;
        }
        var openRuns = await ReadOpenRunsAsync(connection, tx, syncId, ct);
        await tx.CommitAsync(CancellationToken.None);
        return new SyncSnapshot(sync, openRuns);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Sync>> ListSyncsAsync(Scope scope, Guid? credentialId, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var sql = $"SELECT {SyncReadColumns} FROM syncs WHERE project_id = @project_id AND user_id = @user_id" +
                  (credentialId is null ? "" : " AND credential_id = @credential_id") +
                  " ORDER BY created_at, id";
        var command = Command(connection, null, sql, ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        if (credentialId is { } id)
        {
            AddParameter(command, "@credential_id", IdParameter(id));
        }
        return await ReadAllAsync(command, ReadSync, ct);
    }

    /// <inheritdoc />
    public Task<SyncChange<T>?> MutateSyncAsync<T>(Scope scope, Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide,
        CancellationToken ct = default) =>
        MutateSyncCoreAsync(scope, syncId, decide, ct);

    /// <inheritdoc />
    public Task<SyncChange<T>?> MutateSyncAsync<T>(Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide,
        CancellationToken ct = default) =>
        MutateSyncCoreAsync(scope: null, syncId, decide, ct);

    private async Task<SyncChange<T>?> MutateSyncCoreAsync<T>(Scope? scope, Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(decide);
        if (GroupsCommits)
        {
            SyncChange<T>? result = null;
            await WriteGroupedAsync(async (connection, tx) =>
                result = await MutateOneAsync(connection, tx, scope, syncId, decide, CancellationToken.None), ct);
            return result; // read after the group's commit
        }
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var change = await MutateOneAsync(connection, tx, scope, syncId, decide, ct); // throws => rolled back by the disposal
        if (change is not null)
        {
            await tx.CommitAsync(CancellationToken.None);
        }
        return change;
    }

    /// <summary>
    /// Inside a write transaction: reads the Sync (locked, within <paramref name="scope"/> unless null) with its
    /// open runs, decides and applies. Null, with nothing written, when the Sync does not exist.
    /// </summary>
    private async Task<SyncChange<T>?> MutateOneAsync<T>(StoreConnection connection, DbTransaction tx, Scope? scope, Guid syncId,
        Func<SyncSnapshot, SyncChange<T>> decide, CancellationToken ct)
    {
        var sync = await ReadSyncAsync(connection, tx, syncId, scope, lockRow: true, ct);
        if (sync is null)
        {
            return null;
        }
        var snapshot = new SyncSnapshot(sync, await ReadOpenRunsAsync(connection, tx, syncId, ct));
        var change = decide(snapshot);
        await ApplyAsync(connection, tx, snapshot, change, ct);
        return change;
    }

    // ---- Group commit of single mutations ----

    /// <summary>
    /// True where a commit is expensive enough (SQLite with <c>synchronous=FULL</c>: one fsync each) that
    /// concurrent single mutations should share it: see <see cref="WriteGroupedAsync"/>.
    /// </summary>
    private protected virtual bool GroupsCommits => false;

    /// <summary>Most mutations one group commit carries.</summary>
    private const int MaxGroup = 64;

    private readonly ConcurrentQueue<GroupedWrite> _groupedWrites = new();

    /// <summary>A mutation waiting for a group commit. State: 0 waiting, 1 taken by a leader, 2 given up by its caller.</summary>
    private sealed class GroupedWrite(Func<StoreConnection, DbTransaction, Task> run)
    {
        public Func<StoreConnection, DbTransaction, Task> Run { get; } = run;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int State;
    }

    /// <summary>
    /// Group commit: <paramref name="run"/> is queued, and whichever caller gets the write turn next (the leader)
    /// runs every queued mutation (up to <see cref="MaxGroup"/>) in one transaction, each under its own savepoint,
    /// and commits once. A mutation that throws is rolled back to its savepoint and its caller gets the exception;
    /// the others still commit. Every caller returns only after the commit that holds its write (or its error).
    /// A caller cancelled before a leader took its mutation gives it up: it is never written.
    /// </summary>
    private async Task WriteGroupedAsync(Func<StoreConnection, DbTransaction, Task> run, CancellationToken ct)
    {
        var mine = new GroupedWrite(run);
        _groupedWrites.Enqueue(mine);
        IDisposable? turn;
        try
        {
            turn = await EnterWriteAsync(ct);
        }
        catch when (Interlocked.CompareExchange(ref mine.State, 2, 0) != 0)
        {
            await mine.Done.Task; // a leader already took it: its outcome is the answer
            return;
        }
        using (turn)
        {
            while (!mine.Done.Task.IsCompleted)
            {
                await LeadGroupAsync();
            }
        }
        await mine.Done.Task;
    }

    private async Task LeadGroupAsync()
    {
        var group = new List<GroupedWrite>();
        while (group.Count < MaxGroup && _groupedWrites.TryDequeue(out var next))
        {
            if (Interlocked.CompareExchange(ref next.State, 1, 0) == 0)
            {
                group.Add(next);
            }
        }
        var written = new List<GroupedWrite>(group.Count);
        try
        {
            await using var connection = await OpenConnectionAsync(CancellationToken.None);
            await using var tx = await BeginWriteAsync(connection.Connection, CancellationToken.None);
            foreach (var write in group)
            {
                await tx.SaveAsync("grouped");
                try
                {
                    await write.Run(connection, tx);
                    await tx.ReleaseAsync("grouped");
                    written.Add(write);
                }
                catch (Exception error)
                {
                    await tx.RollbackAsync("grouped");
                    await tx.ReleaseAsync("grouped");
                    write.Done.TrySetException(error);
                }
            }
            await tx.CommitAsync(CancellationToken.None);
        }
        catch (Exception error)
        {
            foreach (var write in group)
            {
                write.Done.TrySetException(error); // nothing of this group was committed
            }
            return;
        }
        foreach (var write in written)
        {
            write.Done.TrySetResult();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SyncChange<T>?>> MutateSyncsAsync<T>(
        IReadOnlyList<(Guid SyncId, Func<SyncSnapshot, SyncChange<T>> Decide)> mutations, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(mutations);
        var results = new SyncChange<T>?[mutations.Count];
        if (mutations.Count == 0)
        {
            return results;
        }
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        if (LockClause.Length > 0)
        {
            // Row locks up front, in the order DeleteCredentialAsync takes them (created_at, id), so a batch
            // and a credential delete never wait for each other in opposite orders (a deadlock).
            var distinct = mutations.Select(m => m.SyncId).Distinct().ToList();
            var lockRows = OneOffCommand(connection, tx,
                $"SELECT id FROM syncs WHERE id IN ({InList("@id", distinct.Count)}) ORDER BY created_at, id" + LockClause,
                [.. distinct.Select((id, n) => ("@id" + n.ToString(CultureInfo.InvariantCulture), IdParameter(id)))]);
            await ReadAllAsync(lockRows, r => ReadId(r, 0), ct);
        }
        foreach (var (_, decide) in mutations)
        {
            ArgumentNullException.ThrowIfNull(decide);
        }
        var ids = mutations.Select(m => m.SyncId).ToList();
        if (ids.Distinct().Count() == ids.Count)
        {
            // The usual case: read the set, decide each, write everything in one go.
            results = await MutateLockedAsync(connection, tx, ids, (i, snapshot) => mutations[i].Decide(snapshot), ct);
        }
        else
        {
            // A Sync twice (e.g. two attempts of one run ending together): each decision must see the one before.
            // A decision that throws rolls the whole batch back by the transaction's disposal.
            for (var i = 0; i < mutations.Count; i++)
            {
                results[i] = await MutateOneAsync(connection, tx, scope: null, ids[i], mutations[i].Decide, ct);
            }
        }
        await tx.CommitAsync(CancellationToken.None);
        return results;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteSyncAsync(Scope scope, Guid syncId, CancellationToken ct = default)
    {
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        // Runs and records go with it (ON DELETE CASCADE).
        var deleted = await ExecuteAsync(connection, tx,
            "DELETE FROM syncs WHERE id = @id AND project_id = @project_id AND user_id = @user_id", ct,
            ("@id", IdParameter(syncId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        await tx.CommitAsync(CancellationToken.None);
        return deleted > 0;
    }

    /// <inheritdoc />
    /// <remarks>One read snapshot, so the runs are those of the incarnation returned with them.</remarks>
    public async Task<RunsPage?> ListRunsAsync(Scope scope, Guid syncId, int limit, RunPosition? after,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginReadAsync(connection.Connection, ct);
        var incarnation = await ScalarAsync(connection, tx,
            "SELECT incarnation FROM syncs WHERE id = @id AND project_id = @project_id AND user_id = @user_id", ct,
            ("@id", IdParameter(syncId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        if (incarnation is null)
        {
            return null;
        }
        var sql =
            $"SELECT {RunColumns} FROM sync_runs WHERE sync_id = @sync_id" +
            (after is null ? "" : " AND (created_at, id) < (@after_created_at, @after_id)") +
            " ORDER BY created_at DESC, id DESC LIMIT @limit";
        var command = Command(connection, tx, sql, ("@sync_id", IdParameter(syncId)), ("@limit", limit));
        if (after is { } position)
        {
            AddParameter(command, "@after_created_at", position.CreatedAt.ToUnixTimeMilliseconds());
            AddParameter(command, "@after_id", IdParameter(position.Id));
        }
        var runs = await ReadAllAsync(command, ReadRun, ct);
        await tx.CommitAsync(CancellationToken.None);
        return new RunsPage(Convert.ToInt64(incarnation, CultureInfo.InvariantCulture), runs);
    }

    /// <inheritdoc />
    public async Task<SyncRun?> GetRunAsync(Scope scope, Guid syncId, Guid runId, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var command = Command(connection, null,
            $"SELECT {RunColumns} FROM sync_runs WHERE id = @id AND sync_id = @sync_id " +
            "AND EXISTS (SELECT 1 FROM syncs WHERE id = @sync_id AND project_id = @project_id AND user_id = @user_id)",
            ("@id", IdParameter(runId)), ("@sync_id", IdParameter(syncId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        var found = await ReadAllAsync(command, ReadRun, ct);
        return found.Count == 0 ? null : found[0];
    }

    // ---- Credentials ----

    /// <inheritdoc />
    public async Task InsertCredentialAsync(Credential credential, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        await InsertCredentialRowAsync(connection, tx, credential, ct);
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <summary>Inside a write transaction: inserts the credential; <see cref="InvalidOperationException"/> when the id is taken.</summary>
    private async Task InsertCredentialRowAsync(StoreConnection connection, DbTransaction tx, Credential credential, CancellationToken ct)
    {
        var inserted = await ExecuteAsync(connection, tx,
            $"INSERT INTO credentials ({CredentialColumns}) VALUES " +
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

        IReadOnlyList<Sync> bound;
        {
            var select = Command(connection, tx,
                $"SELECT {SyncReadColumns} FROM syncs " +
                "WHERE project_id = @project_id AND user_id = @user_id AND credential_id = @credential_id " +
                "ORDER BY created_at, id" + LockClause,
                ("@project_id", scope.ProjectId), ("@user_id", scope.UserId), ("@credential_id", IdParameter(credentialId)));
            bound = await ReadAllAsync(select, ReadSync, ct);
        }
        foreach (var sync in bound)
        {
            var snapshot = new SyncSnapshot(sync, await ReadOpenRunsAsync(connection, tx, sync.Id, ct));
            var change = onBoundSync(snapshot);
            await ApplyAsync(connection, tx, snapshot, change, ct);
        }
        await tx.CommitAsync(CancellationToken.None);
        return true;
    }

    // ---- Engine ----

    /// <summary>
    /// Syncs the dispatcher may have work for at @now, at most @max: work that came due within
    /// <see cref="FreshWindow"/> first, then the rest, each soonest due first — except that one slot in
    /// <see cref="BacklogShare"/> of a full round goes to the oldest backlog. Every source is read in due order
    /// from its own index and cut at @max, so a round costs O(@max) however large the backlog (the earlier form —
    /// one IN over a UNION, then a sort of every candidate — evaluated and sorted every due Sync in each round,
    /// and the SQLite that ships with Microsoft.Data.Sqlite 10 (3.53) planned its UNION as a merge of full scans
    /// of syncs and sync_runs, ~450 ms per round at 100,000 Syncs even with nothing due). Sources:
    /// (f)/(a) <c>next_run_at</c> due and no open run (ix_syncs_next_run): (f) within the window, (a) all;
    /// (bf)/(b) a QUEUED run due and no RUNNING run under a live lease (ix_sync_runs_queued_due), split the same way;
    /// (c) a RUNNING run whose lease expired, or none: written before leases existed (ix_sync_runs_running_lease).
    /// Stopped Syncs are left out. A Sync found by two sources counts once, in its best tier at its earliest due
    /// moment. The redundant <c>state IN ('Queued', 'Running')</c> terms let the per-Sync checks use the partial
    /// index of open runs instead of the Sync's whole run history. The conditions mirror <see cref="RunRules.Dispatch"/>.
    /// </summary>
    private static readonly string DispatchCandidatesSql =
        "SELECT c.sync_id FROM (SELECT sync_id, due, " +
        // Interleave: the n-th backlog Sync ranks with the (n × BacklogShare)-th on-time one, so a full round
        // still gives the backlog about one slot in BacklogShare and a sustained overload cannot starve it.
        "CASE WHEN tier = 0 THEN rn ELSE rn * @share END AS tier_rank FROM (" +
        "SELECT sync_id, tier, due, ROW_NUMBER() OVER (PARTITION BY tier ORDER BY due, sync_id) AS rn FROM (" +
        "SELECT sync_id, MIN(tier) AS tier, MIN(due) AS due FROM (" +
        // (f)/(a) the schedule: on time first, then the backlog (oldest first) with what is left.
        ScheduledCandidates(onTime: true) + " UNION ALL " + ScheduledCandidates(onTime: false) +
        // (b) queued runs (triggers, retries, INITIAL runs), split the same way.
        " UNION ALL " + QueuedCandidates(onTime: true) + " UNION ALL " + QueuedCandidates(onTime: false) +
        // (c) RUNNING runs to reclaim: their worker died. Backlog by nature (the lease ran out).
        " UNION ALL SELECT * FROM (SELECT x.sync_id, COALESCE(x.lease_expires_at, 0) AS due, 1 AS tier " +
        "FROM sync_runs x JOIN syncs s ON s.id = x.sync_id " +
        "WHERE x.state = 'Running' AND (x.lease_expires_at IS NULL OR x.lease_expires_at <= @now) " +
        "AND s.status NOT IN ('Disabled', 'Errored') " +
        "ORDER BY COALESCE(x.lease_expires_at, 0) LIMIT @max) x" +
        ") u GROUP BY sync_id) grouped) ranked) c " +
        "JOIN syncs s ON s.id = c.sync_id ORDER BY c.tier_rank, c.due, s.id LIMIT @max";

    /// <summary>next_run_at due and no open run; <paramref name="onTime"/>: only what came due within <see cref="FreshWindow"/>.</summary>
    private static string ScheduledCandidates(bool onTime) =>
        $"SELECT * FROM (SELECT s.id AS sync_id, s.next_run_at AS due, {(onTime ? 0 : 1)} AS tier FROM syncs s " +
        "WHERE s.next_run_at <= @now " + (onTime ? "AND s.next_run_at > @fresh " : "") +
        "AND s.status NOT IN ('Disabled', 'Errored') " +
        "AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.sync_id = s.id AND r.state IN ('Queued', 'Running')) " +
        $"ORDER BY s.next_run_at LIMIT @max) {(onTime ? "f" : "a")}";

    /// <summary>A QUEUED run due and no RUNNING run under a live lease; <paramref name="onTime"/> as above.</summary>
    private static string QueuedCandidates(bool onTime) =>
        $"SELECT * FROM (SELECT q.sync_id, q.due_at AS due, {(onTime ? 0 : 1)} AS tier " +
        "FROM sync_runs q JOIN syncs s ON s.id = q.sync_id " +
        "WHERE q.state = 'Queued' AND q.due_at <= @now " + (onTime ? "AND q.due_at > @fresh " : "") +
        "AND s.status NOT IN ('Disabled', 'Errored') " +
        "AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.sync_id = q.sync_id AND r.state IN ('Queued', 'Running') " +
        "AND r.state = 'Running' AND r.lease_expires_at > @now) " +
        $"ORDER BY q.due_at LIMIT @max) {(onTime ? "bf" : "b")}";

    /// <summary>
    /// Work due within this window before @now is "on time" and is claimed before any older backlog (after
    /// a restart, a long outage or an overload): a backlog drains with the capacity on-time work leaves.
    /// </summary>
    private static readonly TimeSpan FreshWindow = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When on-time work fills a round, about one slot in this many still goes to the oldest backlog:
    /// on-time Syncs keep their lag, and under a sustained overload every Sync still runs (oldest first).
    /// </summary>
    private const int BacklogShare = 10;

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// One write transaction for the batch: the candidates are selected and locked, then each is read
    /// (Sync, then open runs), decided and written as by <see cref="MutateSyncAsync{T}(Guid, Func{SyncSnapshot, SyncChange{T}}, CancellationToken)"/>,
    /// and everything commits once. If <paramref name="decide"/> throws or a change breaks the rules,
    /// nothing of the batch is written and the exception propagates.
    /// </para>
    /// <para>
    /// Candidates leave out Syncs whose RUNNING run holds a live lease, even with a queued run due or
    /// next_run_at passed (they cannot start anything); a RUNNING run without a lease counts as expired,
    /// as in <see cref="RunRules.Dispatch"/>. The decision always sees the Sync as it is once locked, so
    /// a Sync started by another dispatcher meanwhile is left alone: every run is started once.
    /// </para>
    /// <para>
    /// PostgreSQL: candidates are locked <c>FOR UPDATE SKIP LOCKED</c> — Sync rows first, then runs, the
    /// order API mutations use — so replicas dispatch disjoint Syncs without waiting for each other.
    /// SQLite: BEGIN IMMEDIATE serialises all writers of the database, so dispatchers only take turns;
    /// run one dispatcher per SQLite database.
    /// </para>
    /// </remarks>
    public async Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max,
        Func<SyncSnapshot, SyncChange<SyncRun?>> decide, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(decide);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        IReadOnlyList<Guid> candidates;
        {
            var select = Command(connection, tx, DispatchCandidatesSql + LockSkippingLocked("s"),
                ("@now", Ms(now)), ("@max", max), ("@fresh", Ms(now - FreshWindow)),
                ("@share", BacklogShare));
            candidates = await ReadAllAsync(select, r => ReadId(r, 0), ct);
        }

        // Locked by the SELECT above; read again (as a set) to see any change committed before the lock was taken.
        // A decision that throws rolls the transaction back by its disposal.
        var changes = await MutateLockedAsync(connection, tx, candidates, (_, snapshot) => decide(snapshot), ct);
        var started = new List<(Sync Sync, SyncRun Run)>();
        foreach (var change in changes)
        {
            if (change is { Result: { } run, NewSync: { } sync })
            {
                started.Add((sync, run));
            }
        }
        await tx.CommitAsync(CancellationToken.None);
        return started;
    }

    /// <inheritdoc />
    public async Task<bool> RenewLeaseAsync(Guid runId, int attempt, DateTimeOffset leaseExpiresAt, CancellationToken ct = default)
    {
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        // One row of sync_runs and no other lock: it cannot deadlock with the Sync-first writers.
        var renewed = await ExecuteAsync(connection, tx,
            "UPDATE sync_runs SET lease_expires_at = @lease_expires_at WHERE id = @id AND state = 'Running' AND attempt = @attempt", ct,
            ("@lease_expires_at", Ms(leaseExpiresAt)), ("@id", IdParameter(runId)), ("@attempt", attempt));
        await tx.CommitAsync(CancellationToken.None);
        return renewed == 1;
    }

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// Fenced (nothing written) also when the Sync or the run no longer exists, or the run belongs to
    /// another Sync. The fence is checked under the Sync's row lock, which every run change also takes,
    /// so a run cannot be reclaimed or cancelled between the check and the writes.
    /// </para>
    /// <para>
    /// Records are matched by (Sync, external id) and keep the id they were created with. Counts:
    /// <see cref="RecordPageResult.Created"/> are records that became live (new, or a tombstone back),
    /// <see cref="RecordPageResult.Updated"/> live records with another fingerprint, and
    /// <see cref="RecordPageResult.Deleted"/> the new tombstones; so live after = live before + created − deleted.
    /// An external id repeated in one page is applied in page order (a second, different version is a
    /// second change). Tombstones keep their data and fingerprint; their synced_at is when the deletion
    /// was seen. Tombstones are made in their previous sequence order.
    /// </para>
    /// <para>
    /// The Sync's total_records (every record, tombstones included) and synced_records_count (live records)
    /// are recounted and record_sequence (<see cref="Sync.LatestRecordSequence"/>) written back; source_cursor
    /// is set when the page carries one. Its version and updated_at stay: the etag tracks the Sync's
    /// settings and state, not its record counts.
    /// </para>
    /// </remarks>
    public async Task<RecordPageResult> WriteRecordPageAsync(RecordPage page, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(page.Upserts);
        foreach (var upsert in page.Upserts)
        {
            ArgumentNullException.ThrowIfNull(upsert);
        }

        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var syncId = IdParameter(page.SyncId);
        var runId = IdParameter(page.RunId);
        // Records are marked as seen by this run *attempt*: a reclaimed attempt must not count records
        // that only a crashed earlier attempt saw, or its reconcile would keep records the source lost.
        var seenMarker = SeenMarker(page.RunId, page.Attempt);
        var seenBy = IdParameter(seenMarker);

        // The Sync row first (the lock order of every writer), then the fence under it.
        var storedSequence = await ScalarAsync(connection, tx, "SELECT record_sequence FROM syncs WHERE id = @id" + LockClause, ct,
            ("@id", syncId));
        if (storedSequence is null)
        {
            return Fenced;
        }
        var sequence = Convert.ToInt64(storedSequence, CultureInfo.InvariantCulture);
        var owned = await ScalarAsync(connection, tx,
            "SELECT 1 FROM sync_runs WHERE id = @run_id AND sync_id = @sync_id AND state = 'Running' AND attempt = @attempt", ct,
            ("@run_id", runId), ("@sync_id", syncId), ("@attempt", page.Attempt));
        if (owned is null)
        {
            return Fenced; // disposal rolls back the (empty) transaction
        }

        var stored = await ReadStoredRecordsAsync(connection, tx, page, ct);
        int created = 0, updated = 0;
        var seen = new List<Guid>();
        foreach (var upsert in page.Upserts)
        {
            if (!stored.TryGetValue(upsert.ExternalId, out var record))
            {
                await ExecuteAsync(connection, tx,
                    "INSERT INTO sync_records (sync_id, id, external_id, sequence, deleted, data_json, fingerprint, synced_at, last_seen_run_id) " +
                    "VALUES (@sync_id, @id, @external_id, @sequence, @deleted, @data_json, @fingerprint, @synced_at, @run_id)", ct,
                    ("@sync_id", syncId), ("@id", IdParameter(upsert.RecordId)), ("@external_id", upsert.ExternalId),
                    ("@sequence", ++sequence), ("@deleted", false), ("@data_json", upsert.DataJson),
                    ("@fingerprint", upsert.Fingerprint), ("@synced_at", Ms(page.Now)), ("@run_id", seenBy));
                created++;
                stored[upsert.ExternalId] = new StoredRecord(upsert.RecordId, upsert.Fingerprint, Deleted: false, SeenByRun: true);
            }
            else if (record.Deleted || !string.Equals(record.Fingerprint, upsert.Fingerprint, StringComparison.Ordinal))
            {
                await ExecuteAsync(connection, tx,
                    "UPDATE sync_records SET sequence = @sequence, deleted = @deleted, data_json = @data_json, " +
                    "fingerprint = @fingerprint, synced_at = @synced_at, last_seen_run_id = @run_id WHERE sync_id = @sync_id AND id = @id", ct,
                    ("@sequence", ++sequence), ("@deleted", false), ("@data_json", upsert.DataJson),
                    ("@fingerprint", upsert.Fingerprint), ("@synced_at", Ms(page.Now)), ("@run_id", seenBy),
                    ("@sync_id", syncId), ("@id", IdParameter(record.Id)));
                if (record.Deleted)
                {
                    created++;
                }
                else
                {
                    updated++;
                }
                stored[upsert.ExternalId] = record with { Fingerprint = upsert.Fingerprint, Deleted = false, SeenByRun = true };
            }
            else if (!record.SeenByRun)
            {
                seen.Add(record.Id); // unchanged: only marked as seen by this run, below
                stored[upsert.ExternalId] = record with { SeenByRun = true };
            }
        }
        foreach (var chunk in seen.Chunk(InListChunk))
        {
            var mark = OneOffCommand(connection, tx,
                $"UPDATE sync_records SET last_seen_run_id = @run_id WHERE sync_id = @sync_id AND id IN ({InList("@r", chunk.Length)})",
                ("@run_id", seenBy), ("@sync_id", syncId));
            for (var i = 0; i < chunk.Length; i++)
            {
                AddParameter(mark, "@r" + i.ToString(CultureInfo.InvariantCulture), IdParameter(chunk[i]));
            }
            await mark.ExecuteNonQueryAsync(ct);
        }

        var deleted = 0;
        if (page.ReconcileUnseen)
        {
            IReadOnlyList<Guid> unseen;
            {
                var select = Command(connection, tx,
                    "SELECT id FROM sync_records WHERE sync_id = @sync_id AND NOT deleted " +
                    "AND (last_seen_run_id IS NULL OR last_seen_run_id <> @run_id) ORDER BY sequence",
                    ("@sync_id", syncId), ("@run_id", seenBy));
                unseen = await ReadAllAsync(select, r => ReadId(r, 0), ct);
            }
            foreach (var id in unseen)
            {
                await ExecuteAsync(connection, tx,
                    "UPDATE sync_records SET sequence = @sequence, deleted = @deleted, synced_at = @synced_at " +
                    "WHERE sync_id = @sync_id AND id = @id", ct,
                    ("@sequence", ++sequence), ("@deleted", true), ("@synced_at", Ms(page.Now)),
                    ("@sync_id", syncId), ("@id", IdParameter(id)));
            }
            deleted = unseen.Count;
        }

        await UpdateRecordSummaryAsync(connection, tx, page, sequence, ct);
        await tx.CommitAsync(CancellationToken.None);
        return new RecordPageResult(false, created, updated, deleted);
    }

    private static readonly RecordPageResult Fenced = new(true, 0, 0, 0);

    /// <summary>A stored record as a page write needs it: matched by external id.</summary>
    private sealed record StoredRecord(Guid Id, string Fingerprint, bool Deleted, bool SeenByRun);

    /// <summary>The stored records of the page's external ids, read in one query per <see cref="InListChunk"/> ids.</summary>
    private async Task<Dictionary<string, StoredRecord>> ReadStoredRecordsAsync(StoreConnection connection, DbTransaction tx,
        RecordPage page, CancellationToken ct)
    {
        // Both databases compare text byte for byte here (SQLite BINARY; PostgreSQL's deterministic collations).
        var stored = new Dictionary<string, StoredRecord>(StringComparer.Ordinal);
        var externalIds = page.Upserts.Select(u => u.ExternalId).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var chunk in externalIds.Chunk(InListChunk))
        {
            var select = OneOffCommand(connection, tx,
                "SELECT id, external_id, fingerprint, deleted, last_seen_run_id FROM sync_records " +
                $"WHERE sync_id = @sync_id AND external_id IN ({InList("@e", chunk.Length)})",
                ("@sync_id", IdParameter(page.SyncId)));
            for (var i = 0; i < chunk.Length; i++)
            {
                AddParameter(select, "@e" + i.ToString(CultureInfo.InvariantCulture), chunk[i]);
            }
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var seenBy = reader.IsDBNull(4) ? (Guid?)null : ReadId(reader, 4);
                stored[reader.GetString(1)] = new StoredRecord(ReadId(reader, 0), reader.GetString(2), reader.GetBoolean(3),
                    SeenByRun: seenBy == SeenMarker(page.RunId, page.Attempt));
            }
        }
        return stored;
    }

    /// <summary>Writes the record counter back and recounts the Sync's record summary (version untouched).</summary>
    private async Task UpdateRecordSummaryAsync(StoreConnection connection, DbTransaction tx, RecordPage page, long sequence,
        CancellationToken ct)
    {
        long total, live;
        var count = Command(connection, tx,
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN deleted THEN 0 ELSE 1 END), 0) " +
            "FROM sync_records WHERE sync_id = @sync_id",
            ("@sync_id", IdParameter(page.SyncId)));
        await using (var reader = await count.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            total = reader.GetInt64(0);
            live = reader.GetInt64(1);
        }
        var update = Command(connection, tx,
            "UPDATE syncs SET record_sequence = @record_sequence, total_records = @total_records, " +
            "synced_records_count = @synced_records_count" +
            (page.SourceCursor is null ? "" : ", source_cursor = @source_cursor") +
            " WHERE id = @id",
            ("@record_sequence", sequence), ("@total_records", total), ("@synced_records_count", live),
            ("@id", IdParameter(page.SyncId)));
        if (page.SourceCursor is { } sourceCursor)
        {
            AddParameter(update, "@source_cursor", sourceCursor);
        }
        await update.ExecuteNonQueryAsync(ct);
    }

    // ---- Records ----

    /// <inheritdoc />
    /// <remarks>
    /// One read snapshot (SQLite: one read transaction; PostgreSQL: REPEATABLE READ). The totals are
    /// the Sync's total_records and synced_records_count, which every page write recounts with its
    /// records. A record changed after a page was read moves past it (a higher sequence), so paging
    /// with the last sequence seen returns every change at least once and never skips one.
    /// </remarks>
    public async Task<RecordsPage?> ListRecordsAsync(Scope scope, Guid syncId, long afterSequence, int limit,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginReadAsync(connection.Connection, ct);
        var id = IdParameter(syncId);

        long total, active, incarnation;
        var sync = Command(connection, tx,
            "SELECT total_records, synced_records_count, incarnation FROM syncs " +
            "WHERE id = @id AND project_id = @project_id AND user_id = @user_id",
            ("@id", id), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        await using (var reader = await sync.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }
            total = reader.GetInt64(0);
            active = reader.GetInt64(1);
            incarnation = reader.GetInt64(2);
        }

        IReadOnlyList<SyncRecord> records;
        {
            var select = Command(connection, tx,
                $"SELECT {RecordColumns} FROM sync_records WHERE sync_id = @sync_id AND sequence > @after ORDER BY sequence LIMIT @limit",
                ("@sync_id", id), ("@after", afterSequence), ("@limit", limit));
            records = await ReadAllAsync(select, ReadRecord, ct);
        }
        var last = records.Count > 0 ? records[^1].Sequence : afterSequence;
        var remaining = Convert.ToInt64(await ScalarAsync(connection, tx,
            "SELECT COUNT(*) FROM sync_records WHERE sync_id = @sync_id AND sequence > @after", ct,
            ("@sync_id", id), ("@after", last)), CultureInfo.InvariantCulture);
        await tx.CommitAsync(CancellationToken.None);
        return new RecordsPage(records, total, active, remaining, incarnation);
    }

    /// <inheritdoc />
    public async Task<SyncRecord?> GetRecordAsync(Scope scope, Guid syncId, Guid recordId, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        var command = Command(connection, null,
            $"SELECT {RecordColumns} FROM sync_records WHERE sync_id = @sync_id AND id = @id " +
            "AND EXISTS (SELECT 1 FROM syncs WHERE id = @sync_id AND project_id = @project_id AND user_id = @user_id)",
            ("@sync_id", IdParameter(syncId)), ("@id", IdParameter(recordId)),
            ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        var found = await ReadAllAsync(command, ReadRecord, ct);
        return found.Count == 0 ? null : found[0];
    }

    // ---- Reads and writes inside a transaction ----

    private async Task<Sync?> ReadSyncAsync(StoreConnection connection, DbTransaction tx, Guid syncId, Scope? scope, bool lockRow,
        CancellationToken ct)
    {
        var sql = $"SELECT {SyncReadColumns} FROM syncs WHERE id = @id" +
                  (scope is null ? "" : " AND project_id = @project_id AND user_id = @user_id") +
                  (lockRow ? LockClause : "");
        var command = Command(connection, tx, sql, ("@id", IdParameter(syncId)));
        if (scope is { } s)
        {
            AddParameter(command, "@project_id", s.ProjectId);
            AddParameter(command, "@user_id", s.UserId);
        }
        var found = await ReadAllAsync(command, ReadSync, ct);
        return found.Count == 0 ? null : found[0];
    }

    private async Task<IReadOnlyList<SyncRun>> ReadOpenRunsAsync(StoreConnection connection, DbTransaction tx, Guid syncId,
        CancellationToken ct)
    {
        var command = Command(connection, tx,
            $"SELECT {RunColumns} FROM sync_runs WHERE sync_id = @sync_id AND {OpenStates} ORDER BY created_at, id",
            ("@sync_id", IdParameter(syncId)));
        return await ReadAllAsync(command, ReadRun, ct);
    }

    private async Task ApplyAsync<T>(StoreConnection connection, DbTransaction tx, SyncSnapshot before, SyncChange<T>? change,
        CancellationToken ct)
    {
        var writes = new List<Write>();
        await PlanWritesAsync(connection, tx, before, change, writes, ct);
        await ExecuteWritesAsync(connection, tx, writes, ct);
    }

    /// <summary>One planned statement of a change, with the row count it must affect (else: the message to fail with).</summary>
    private sealed record Write(string Sql, (string Name, object? Value)[] Parameters, string FailureUnlessOneRow);

    /// <summary>
    /// Checks <paramref name="change"/> against the Sync as read and adds its statements to <paramref name="writes"/>.
    /// A new credential binding is checked here, at once (a read under a share lock), not deferred with the writes.
    /// </summary>
    private async Task PlanWritesAsync<T>(StoreConnection connection, DbTransaction tx, SyncSnapshot before, SyncChange<T>? change,
        List<Write> writes, CancellationToken ct)
    {
        if (change is null)
        {
            throw new InvalidOperationException("The decision returned no change; return SyncChange<T>.Nothing(result) instead.");
        }
        var current = before.Sync;
        Validate(current, change);

        if (change.NewSync is { } next)
        {
            if (next.CredentialId != current.CredentialId)
            {
                await EnsureCredentialLiveAsync(connection, tx, next.Scope, next.CredentialId, ct);
            }
            // Only the columns that changed: an index is rewritten only when the UPDATE names one of its columns.
            var old = SyncRowValues(current);
            var after = SyncRowValues(next);
            var parameters = new List<(string Name, object? Value)> { ("@id", IdParameter(current.Id)), ("@previous_version", current.Version) };
            var changed = 0L;
            for (var i = 0; i < after.Length; i++)
            {
                if (!Equals(old[i], after[i]))
                {
                    changed |= 1L << i;
                    parameters.Add((SyncParameterNames[i], after[i]));
                }
            }
            // Cannot fail while the row is locked; if it does, the lock is broken: write nothing.
            writes.Add(new Write(UpdateSyncSql(changed), [.. parameters],
                $"Sync {current.Id} was changed by someone else while locked (expected version {current.Version})."));
        }

        foreach (var run in change.RunsToInsert)
        {
            writes.Add(new Write(InsertRunSql, RunParameters(run), $"Run {run.Id} could not be inserted."));
        }

        foreach (var run in change.RunsToUpdate)
        {
            writes.Add(new Write(UpdateRunSql, RunParameters(run with { SyncId = current.Id }),
                $"Run {run.Id} of Sync {current.Id} does not exist; it cannot be updated."));
        }
    }

    /// <summary>
    /// Runs <paramref name="writes"/> in order, each of which must affect exactly one row. Where the provider
    /// batches statements (PostgreSQL), they go in one round trip; otherwise (SQLite, in-process) one by one
    /// on prepared commands. A failed check throws: the caller's transaction is rolled back by its disposal.
    /// </summary>
    private static async Task ExecuteWritesAsync(StoreConnection connection, DbTransaction tx, List<Write> writes, CancellationToken ct)
    {
        if (writes.Count > 1 && connection.Connection.CanCreateBatch)
        {
            await using var batch = connection.Connection.CreateBatch();
            batch.Transaction = tx;
            foreach (var write in writes)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = write.Sql;
                foreach (var (name, value) in write.Parameters)
                {
                    command.Parameters.Add(Parameter(command.CreateParameter(), name, value));
                }
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync(ct);
            for (var i = 0; i < writes.Count; i++)
            {
                if (batch.BatchCommands[i].RecordsAffected != 1)
                {
                    throw new InvalidOperationException(writes[i].FailureUnlessOneRow);
                }
            }
            return;
        }
        foreach (var write in writes)
        {
            var command = Command(connection, tx, write.Sql, write.Parameters);
            if (await command.ExecuteNonQueryAsync(ct) != 1)
            {
                throw new InvalidOperationException(write.FailureUnlessOneRow);
            }
        }
    }

    /// <summary>
    /// Reads the Syncs <paramref name="syncIds"/> (rows the caller has locked where the provider locks rows) with
    /// their open runs, two queries for the lot, and applies each decision in order, writing every change in one
    /// go (<see cref="ExecuteWritesAsync"/>). Ids must be distinct. Returns each Sync's change, or null where the
    /// Sync does not exist. A decision that throws or breaks the rules fails the whole set.
    /// </summary>
    private async Task<SyncChange<T>?[]> MutateLockedAsync<T>(StoreConnection connection, DbTransaction tx,
        IReadOnlyList<Guid> syncIds, Func<int, SyncSnapshot, SyncChange<T>> decide, CancellationToken ct)
    {
        var syncs = new Dictionary<Guid, Sync>();
        var openRuns = new Dictionary<Guid, List<SyncRun>>();
        foreach (var chunk in syncIds.Chunk(InListChunk))
        {
            var parameters = chunk.Select((id, n) => (Name: "@s" + n.ToString(CultureInfo.InvariantCulture), Value: (object?)IdParameter(id))).ToArray();
            var selectSyncs = OneOffCommand(connection, tx,
                $"SELECT {SyncReadColumns} FROM syncs WHERE id IN ({InList("@s", chunk.Length)})", parameters);
            foreach (var sync in await ReadAllAsync(selectSyncs, ReadSync, ct))
            {
                syncs[sync.Id] = sync;
            }
            var selectRuns = OneOffCommand(connection, tx,
                $"SELECT {RunColumns} FROM sync_runs WHERE sync_id IN ({InList("@s", chunk.Length)}) AND {OpenStates} ORDER BY created_at, id",
                parameters);
            foreach (var run in await ReadAllAsync(selectRuns, ReadRun, ct))
            {
                (openRuns.TryGetValue(run.SyncId, out var list) ? list : openRuns[run.SyncId] = []).Add(run);
            }
        }

        var results = new SyncChange<T>?[syncIds.Count];
        var writes = new List<Write>();
        for (var i = 0; i < syncIds.Count; i++)
        {
            if (!syncs.TryGetValue(syncIds[i], out var sync))
            {
                continue;
            }
            var snapshot = new SyncSnapshot(sync, openRuns.TryGetValue(sync.Id, out var runs) ? runs : []);
            var change = decide(i, snapshot);
            await PlanWritesAsync(connection, tx, snapshot, change, writes, ct);
            results[i] = change;
        }
        await ExecuteWritesAsync(connection, tx, writes, ct);
        return results;
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

    /// <summary>The value stored in <c>last_seen_run_id</c>: one id per (run, attempt).</summary>
    private static Guid SeenMarker(Guid runId, int attempt) =>
        NameBasedGuid.Create(runId, attempt.ToString(CultureInfo.InvariantCulture));

    private static void Validate<T>(Sync current, SyncChange<T> change)
    {
        if (change.NewSync is { } next)
        {
            if (next.Id != current.Id || next.ProjectId != current.ProjectId || next.UserId != current.UserId
                || next.Incarnation != current.Incarnation)
            {
                throw new InvalidOperationException($"A change of Sync {current.Id} may not change its id, scope or incarnation.");
            }
            if (next.Version != current.Version + 1)
            {
                throw new InvalidOperationException(
                    $"A change of Sync {current.Id} must set version {current.Version + 1}, not {next.Version}.");
            }
        }
        foreach (var run in change.RunsToInsert.Concat(change.RunsToUpdate))
        {
            if (run.SyncId != current.Id)
            {
                throw new InvalidOperationException($"Run {run.Id} belongs to Sync {run.SyncId}, not to Sync {current.Id}.");
            }
        }
    }

    private const string InsertRunSql =
        $"INSERT INTO sync_runs ({RunColumns}) VALUES " +
        "(@id, @sync_id, @run_type, @run_trigger, @state, @created_at, @due_at, @started_at, @finished_at, @attempt, @error, " +
        "@retries, @lease_owner, @lease_expires_at)";

    /// <summary>A run's id, Sync and kind never change; everything else may.</summary>
    private const string UpdateRunSql =
        "UPDATE sync_runs SET state = @state, due_at = @due_at, started_at = @started_at, " +
        "finished_at = @finished_at, attempt = @attempt, error = @error, retries = @retries, " +
        "lease_owner = @lease_owner, lease_expires_at = @lease_expires_at WHERE id = @id AND sync_id = @sync_id";

    private (string Name, object? Value)[] RunParameters(SyncRun run) =>
    [
        ("@id", IdParameter(run.Id)), ("@sync_id", IdParameter(run.SyncId)), ("@run_type", Name(run.Type)),
        ("@run_trigger", Name(run.Trigger)), ("@state", Name(run.State)), ("@created_at", Ms(run.CreatedAt)),
        ("@due_at", Ms(run.DueAt)), ("@started_at", Ms(run.StartedAt)), ("@finished_at", Ms(run.FinishedAt)),
        ("@attempt", run.Attempt), ("@error", run.Error), ("@retries", run.Retries), ("@lease_owner", run.LeaseOwner),
        ("@lease_expires_at", Ms(run.LeaseExpiresAt)),
    ];

    private async Task InsertRunAsync(StoreConnection connection, DbTransaction tx, SyncRun run, CancellationToken ct) =>
        await ExecuteAsync(connection, tx, InsertRunSql, ct, RunParameters(run));

    private const string SyncValues =
        "@id, @project_id, @user_id, @integration, @pipeline, @configuration_name, @configuration_json, @credential_id, " +
        "@frequency, @status, @reason, @rate_limit_backoff_ms, @next_run_at, @last_run_started_at, @last_synced_at, " +
        "@total_records, @synced_records_count, @incarnation, @version, @created_at, @updated_at, @source_cursor, @last_full_sync_at";

    private static readonly string[] SyncColumnNames = SyncColumns.Split(", ");

    private static readonly string[] SyncParameterNames = [.. SyncColumnNames.Select(c => "@" + c)];

    /// <summary>A Sync's column values as bound, in <see cref="SyncColumns"/> order.</summary>
    private object?[] SyncRowValues(Sync sync) =>
    [
        IdParameter(sync.Id), sync.ProjectId, sync.UserId, sync.Integration, sync.Pipeline, sync.ConfigurationName,
        sync.ConfigurationJson, Id(sync.CredentialId), sync.Frequency, Name(sync.Status), sync.Reason,
        sync.RateLimitBackoffMs, Ms(sync.NextRunAt), Ms(sync.LastRunStartedAt), Ms(sync.LastSyncedAt), sync.TotalRecords,
        sync.SyncedRecordsCount, sync.Incarnation, sync.Version, Ms(sync.CreatedAt), Ms(sync.UpdatedAt), sync.SourceCursor,
        Ms(sync.LastFullSyncAt),
    ];

    private void AddSyncParameters(DbCommand command, Sync sync)
    {
        var values = SyncRowValues(sync);
        for (var i = 0; i < values.Length; i++)
        {
            AddParameter(command, SyncParameterNames[i], values[i]);
        }
    }

    private static readonly ConcurrentDictionary<long, string> UpdateSyncSqlByColumns = new();

    /// <summary>
    /// <c>UPDATE syncs SET</c> the columns in <paramref name="changedColumns"/> (bit i = <see cref="SyncColumns"/>[i])
    /// where the id and the previous version match. record_sequence is the store's own: never written here.
    /// </summary>
    private static string UpdateSyncSql(long changedColumns) =>
        UpdateSyncSqlByColumns.GetOrAdd(changedColumns, mask =>
            "UPDATE syncs SET " +
            string.Join(", ", SyncColumnNames.Where((_, i) => (mask & (1L << i)) != 0).Select(c => $"{c} = @{c}")) +
            " WHERE id = @id AND version = @previous_version");

    // ---- Row mapping (by ordinal, in the order of the column lists above) ----

    private Sync ReadSync(DbDataReader r) => new()
    {
        Id = ReadId(r, 0),
        ProjectId = r.GetString(1),
        UserId = r.GetString(2),
        Integration = r.GetString(3),
        Pipeline = r.GetString(4),
        ConfigurationName = r.GetString(5),
        ConfigurationJson = r.GetString(6),
        CredentialId = r.IsDBNull(7) ? null : ReadId(r, 7),
        Frequency = NullableString(r, 8),
        Status = Enum.Parse<SyncStatus>(r.GetString(9)),
        Reason = NullableString(r, 10),
        RateLimitBackoffMs = r.IsDBNull(11) ? null : r.GetInt64(11),
        NextRunAt = NullableTime(r, 12),
        LastRunStartedAt = NullableTime(r, 13),
        LastSyncedAt = NullableTime(r, 14),
        TotalRecords = r.GetInt64(15),
        SyncedRecordsCount = r.GetInt64(16),
        Incarnation = r.GetInt64(17),
        Version = r.GetInt64(18),
        CreatedAt = Time(r, 19),
        UpdatedAt = Time(r, 20),
        SourceCursor = NullableString(r, 21),
        LastFullSyncAt = NullableTime(r, 22),
        LatestRecordSequence = r.GetInt64(23),
    };

    private SyncRun ReadRun(DbDataReader r) => new()
    {
        Id = ReadId(r, 0),
        SyncId = ReadId(r, 1),
        Type = Enum.Parse<RunType>(r.GetString(2)),
        Trigger = Enum.Parse<RunTrigger>(r.GetString(3)),
        State = Enum.Parse<RunState>(r.GetString(4)),
        CreatedAt = Time(r, 5),
        DueAt = Time(r, 6),
        StartedAt = NullableTime(r, 7),
        FinishedAt = NullableTime(r, 8),
        Attempt = r.GetInt32(9),
        Error = NullableString(r, 10),
        Retries = r.GetInt32(11),
        LeaseOwner = NullableString(r, 12),
        LeaseExpiresAt = NullableTime(r, 13),
    };

    private SyncRecord ReadRecord(DbDataReader r) => new()
    {
        SyncId = ReadId(r, 0),
        Id = ReadId(r, 1),
        ExternalId = r.GetString(2),
        Sequence = r.GetInt64(3),
        Deleted = r.GetBoolean(4),
        DataJson = r.GetString(5),
        Fingerprint = r.GetString(6),
        SyncedAt = Time(r, 7),
    };

    private Credential ReadCredential(DbDataReader r) => new()
    {
        Id = ReadId(r, 0),
        ProjectId = r.GetString(1),
        UserId = r.GetString(2),
        Integration = r.GetString(3),
        DisplayName = r.GetString(4),
        ProtectedSecret = r.GetString(5),
        CreatedAt = Time(r, 6),
        DeletedAt = NullableTime(r, 7),
    };

    private static DateTimeOffset Time(DbDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static DateTimeOffset? NullableTime(DbDataReader r, int i) => r.IsDBNull(i) ? null : Time(r, i);

    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    // ---- Parameter values ----

    private static long Ms(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    private static long? Ms(DateTimeOffset? value) => value?.ToUnixTimeMilliseconds();

    private object? Id(Guid? id) => id is { } value ? IdParameter(value) : null;

    private static string Name<TEnum>(TEnum value) where TEnum : struct, Enum =>
        Enum.IsDefined(value)
            ? value.ToString()
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"Not a defined {typeof(TEnum).Name}.");

    // ---- ADO helpers ----

    /// <summary>A command owned by the connection's lease (prepared once and reused on a reusable connection).</summary>
    private static DbCommand Command(StoreConnection connection, DbTransaction? tx, string sql,
        params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        WithParameters(connection.Command(sql, tx), parameters);

    /// <summary>Like <see cref="Command"/> for SQL built per call (IN lists): not kept for reuse.</summary>
    private static DbCommand OneOffCommand(StoreConnection connection, DbTransaction? tx, string sql,
        params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        WithParameters(connection.Command(sql, tx, keep: false), parameters);

    private static DbCommand WithParameters(DbCommand command, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            AddParameter(command, name, value);
        }
        return command;
    }

    /// <summary>"@p0, @p1, ..." for <paramref name="count"/> parameters named <paramref name="prefix"/> + index.</summary>
    private static string InList(string prefix, int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture)));

    private static void AddParameter(DbCommand command, string name, object? value) =>
        command.Parameters.Add(Parameter(command.CreateParameter(), name, value));

    private static DbParameter Parameter(DbParameter parameter, string name, object? value)
    {
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value; // null binds as SQL NULL
        return parameter;
    }

    private protected static async Task<int> ExecuteAsync(StoreConnection connection, DbTransaction? tx, string sql,
        CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private protected static async Task<object?> ScalarAsync(StoreConnection connection, DbTransaction? tx, string sql,
        CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, tx, sql, parameters);
        var result = await command.ExecuteScalarAsync(ct);
        return result is DBNull ? null : result;
    }

    private static async Task<IReadOnlyList<TRow>> ReadAllAsync<TRow>(DbCommand command, Func<DbDataReader, TRow> map,
        CancellationToken ct)
    {
        var rows = new List<TRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(map(reader));
        }
        return rows;
    }
}
