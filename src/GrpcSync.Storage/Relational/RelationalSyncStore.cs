using System.Data.Common;
using GrpcSync.Domain;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// The SQL that the SQLite and PostgreSQL stores share: both schemas have the same tables and
/// columns, so only connections, transactions, row locks and id types differ (the hooks below).
/// One connection per operation; every write runs in one transaction.
/// </summary>
/// <remarks>
/// Storage conventions: timestamps are int64 unix milliseconds (read back as UTC
/// <see cref="DateTimeOffset"/>s, so sub-millisecond parts are dropped); enums are stored by name.
/// Open runs are those in state Queued or Running; snapshots list them oldest first (created_at, id).
/// </remarks>
public abstract class RelationalSyncStore : ISyncStore
{
    private const string OpenStates = "state IN ('Queued', 'Running')";

    private const string SyncColumns =
        "id, project_id, user_id, integration, pipeline, configuration_name, configuration_json, credential_id, " +
        "frequency, status, reason, rate_limit_backoff_ms, next_run_at, last_run_started_at, last_synced_at, " +
        "total_records, synced_records_count, latest_cursor, version, created_at, updated_at";

    private const string RunColumns =
        "id, sync_id, run_type, run_trigger, state, created_at, due_at, started_at, finished_at, attempt, error";

    private const string CredentialColumns =
        "id, project_id, user_id, integration, display_name, protected_secret, created_at, deleted_at";

    private protected RelationalSyncStore()
    {
    }

    // ---- Provider hooks ----

    private protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct);

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
    private protected virtual Task BeforeMigrationsAsync(DbConnection connection, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Serialises migrations across processes inside each migration's transaction.</summary>
    private protected virtual Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct) =>
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
            await using var tx = await BeginWriteAsync(connection, ct);
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
            await using var tx = await BeginWriteAsync(connection, ct);
            await using (var insert = Command(connection, tx,
                $"INSERT INTO syncs ({SyncColumns}) VALUES ({SyncValues}) ON CONFLICT (id) DO NOTHING"))
            {
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
    public async Task<SyncSnapshot?> GetSyncAsync(Scope scope, Guid syncId, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginReadAsync(connection, ct);
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
        var sql = $"SELECT {SyncColumns} FROM syncs WHERE project_id = @project_id AND user_id = @user_id" +
                  (credentialId is null ? "" : " AND credential_id = @credential_id") +
                  " ORDER BY created_at, id";
        await using var command = Command(connection, null, sql, ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        if (credentialId is { } id)
        {
            AddParameter(command, "@credential_id", IdParameter(id));
        }
        return await ReadAllAsync(command, ReadSync, ct);
    }

    /// <inheritdoc />
    public async Task<SyncChange<T>?> MutateSyncAsync<T>(Scope scope, Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(decide);
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection, ct);
        var sync = await ReadSyncAsync(connection, tx, syncId, scope, lockRow: true, ct);
        if (sync is null)
        {
            return null;
        }
        var snapshot = new SyncSnapshot(sync, await ReadOpenRunsAsync(connection, tx, syncId, ct));
        var change = decide(snapshot); // throws => the transaction is rolled back by its disposal
        await ApplyAsync(connection, tx, snapshot, change, ct);
        await tx.CommitAsync(CancellationToken.None);
        return change;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteSyncAsync(Scope scope, Guid syncId, CancellationToken ct = default)
    {
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection, ct);
        // Runs go with it (ON DELETE CASCADE).
        var deleted = await ExecuteAsync(connection, tx,
            "DELETE FROM syncs WHERE id = @id AND project_id = @project_id AND user_id = @user_id", ct,
            ("@id", IdParameter(syncId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        await tx.CommitAsync(CancellationToken.None);
        return deleted > 0;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SyncRun>> ListRunsAsync(Scope scope, Guid syncId, int limit, RunPosition? after,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenConnectionAsync(ct);
        var sql =
            $"SELECT {RunColumns} FROM sync_runs WHERE sync_id = @sync_id " +
            "AND EXISTS (SELECT 1 FROM syncs WHERE id = @sync_id AND project_id = @project_id AND user_id = @user_id)" +
            (after is null ? "" : " AND (created_at, id) < (@after_created_at, @after_id)") +
            " ORDER BY created_at DESC, id DESC LIMIT @limit";
        await using var command = Command(connection, null, sql,
            ("@sync_id", IdParameter(syncId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId),
            ("@limit", limit));
        if (after is { } position)
        {
            AddParameter(command, "@after_created_at", position.CreatedAt.ToUnixTimeMilliseconds());
            AddParameter(command, "@after_id", IdParameter(position.Id));
        }
        return await ReadAllAsync(command, ReadRun, ct);
    }

    // ---- Credentials ----

    /// <inheritdoc />
    public async Task InsertCredentialAsync(Credential credential, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(credential);
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection, ct);
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
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task<Credential?> GetCredentialAsync(Scope scope, Guid credentialId, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var command = Command(connection, null,
            $"SELECT {CredentialColumns} FROM credentials " +
            "WHERE id = @id AND project_id = @project_id AND user_id = @user_id AND deleted_at IS NULL",
            ("@id", IdParameter(credentialId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
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
        await using var command = Command(connection, null, sql, ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
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
        await using var tx = await BeginWriteAsync(connection, ct);
        var deleted = await ExecuteAsync(connection, tx,
            "UPDATE credentials SET deleted_at = @now " +
            "WHERE id = @id AND project_id = @project_id AND user_id = @user_id AND deleted_at IS NULL", ct,
            ("@now", Ms(now)), ("@id", IdParameter(credentialId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        if (deleted == 0)
        {
            return false;
        }

        IReadOnlyList<Sync> bound;
        await using (var select = Command(connection, tx,
            $"SELECT {SyncColumns} FROM syncs " +
            "WHERE project_id = @project_id AND user_id = @user_id AND credential_id = @credential_id " +
            "ORDER BY created_at, id" + LockClause,
            ("@project_id", scope.ProjectId), ("@user_id", scope.UserId), ("@credential_id", IdParameter(credentialId))))
        {
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

    // ---- Reads and writes inside a transaction ----

    private async Task<Sync?> ReadSyncAsync(DbConnection connection, DbTransaction tx, Guid syncId, Scope? scope, bool lockRow,
        CancellationToken ct)
    {
        var sql = $"SELECT {SyncColumns} FROM syncs WHERE id = @id" +
                  (scope is null ? "" : " AND project_id = @project_id AND user_id = @user_id") +
                  (lockRow ? LockClause : "");
        await using var command = Command(connection, tx, sql, ("@id", IdParameter(syncId)));
        if (scope is { } s)
        {
            AddParameter(command, "@project_id", s.ProjectId);
            AddParameter(command, "@user_id", s.UserId);
        }
        var found = await ReadAllAsync(command, ReadSync, ct);
        return found.Count == 0 ? null : found[0];
    }

    private async Task<IReadOnlyList<SyncRun>> ReadOpenRunsAsync(DbConnection connection, DbTransaction tx, Guid syncId,
        CancellationToken ct)
    {
        await using var command = Command(connection, tx,
            $"SELECT {RunColumns} FROM sync_runs WHERE sync_id = @sync_id AND {OpenStates} ORDER BY created_at, id",
            ("@sync_id", IdParameter(syncId)));
        return await ReadAllAsync(command, ReadRun, ct);
    }

    private async Task ApplyAsync<T>(DbConnection connection, DbTransaction tx, SyncSnapshot before, SyncChange<T>? change,
        CancellationToken ct)
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
            await using var update = Command(connection, tx,
                "UPDATE syncs SET integration = @integration, pipeline = @pipeline, configuration_name = @configuration_name, " +
                "configuration_json = @configuration_json, credential_id = @credential_id, frequency = @frequency, " +
                "status = @status, reason = @reason, rate_limit_backoff_ms = @rate_limit_backoff_ms, " +
                "next_run_at = @next_run_at, last_run_started_at = @last_run_started_at, last_synced_at = @last_synced_at, " +
                "total_records = @total_records, synced_records_count = @synced_records_count, " +
                "latest_cursor = @latest_cursor, version = @version, created_at = @created_at, updated_at = @updated_at " +
                "WHERE id = @id AND version = @previous_version");
            AddSyncParameters(update, next);
            AddParameter(update, "@previous_version", current.Version);
            if (await update.ExecuteNonQueryAsync(ct) != 1)
            {
                // Cannot happen while the row is locked; if it does, the lock is broken: write nothing.
                throw new InvalidOperationException(
                    $"Sync {current.Id} was changed by someone else while locked (expected version {current.Version}).");
            }
        }

        foreach (var run in change.RunsToInsert)
        {
            await InsertRunAsync(connection, tx, run, ct);
        }

        foreach (var run in change.RunsToUpdate)
        {
            var updated = await ExecuteAsync(connection, tx,
                "UPDATE sync_runs SET state = @state, due_at = @due_at, started_at = @started_at, " +
                "finished_at = @finished_at, attempt = @attempt, error = @error WHERE id = @id AND sync_id = @sync_id", ct,
                ("@state", Name(run.State)), ("@due_at", Ms(run.DueAt)), ("@started_at", Ms(run.StartedAt)),
                ("@finished_at", Ms(run.FinishedAt)), ("@attempt", run.Attempt), ("@error", run.Error),
                ("@id", IdParameter(run.Id)), ("@sync_id", IdParameter(current.Id)));
            if (updated != 1)
            {
                throw new InvalidOperationException($"Run {run.Id} of Sync {current.Id} does not exist; it cannot be updated.");
            }
        }
    }

    /// <summary>
    /// A Sync may only be bound to a credential of its scope that is not deleted. Checked inside the
    /// write transaction so that a concurrent DeleteCredentialAsync either sees the new binding (and
    /// errors the Sync) or makes this write fail; the API's earlier check alone leaves a window.
    /// </summary>
    private async Task EnsureCredentialLiveAsync(DbConnection connection, DbTransaction tx, Scope scope, Guid? credentialId,
        CancellationToken ct)
    {
        if (credentialId is not { } id)
        {
            return;
        }
        await using var command = Command(connection, tx,
            "SELECT id FROM credentials WHERE id = @id AND project_id = @project_id AND user_id = @user_id " +
            "AND deleted_at IS NULL" + ShareLockClause,
            ("@id", IdParameter(id)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw DomainException.CredentialNotFound(id.ToString());
        }
    }

    private static void Validate<T>(Sync current, SyncChange<T> change)
    {
        if (change.NewSync is { } next)
        {
            if (next.Id != current.Id || next.ProjectId != current.ProjectId || next.UserId != current.UserId)
            {
                throw new InvalidOperationException($"A change of Sync {current.Id} may not change its id or scope.");
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

    private async Task InsertRunAsync(DbConnection connection, DbTransaction tx, SyncRun run, CancellationToken ct) =>
        await ExecuteAsync(connection, tx,
            $"INSERT INTO sync_runs ({RunColumns}) VALUES " +
            "(@id, @sync_id, @run_type, @run_trigger, @state, @created_at, @due_at, @started_at, @finished_at, @attempt, @error)", ct,
            ("@id", IdParameter(run.Id)), ("@sync_id", IdParameter(run.SyncId)), ("@run_type", Name(run.Type)),
            ("@run_trigger", Name(run.Trigger)), ("@state", Name(run.State)), ("@created_at", Ms(run.CreatedAt)),
            ("@due_at", Ms(run.DueAt)), ("@started_at", Ms(run.StartedAt)), ("@finished_at", Ms(run.FinishedAt)),
            ("@attempt", run.Attempt), ("@error", run.Error));

    private const string SyncValues =
        "@id, @project_id, @user_id, @integration, @pipeline, @configuration_name, @configuration_json, @credential_id, " +
        "@frequency, @status, @reason, @rate_limit_backoff_ms, @next_run_at, @last_run_started_at, @last_synced_at, " +
        "@total_records, @synced_records_count, @latest_cursor, @version, @created_at, @updated_at";

    private void AddSyncParameters(DbCommand command, Sync sync)
    {
        AddParameter(command, "@id", IdParameter(sync.Id));
        AddParameter(command, "@project_id", sync.ProjectId);
        AddParameter(command, "@user_id", sync.UserId);
        AddParameter(command, "@integration", sync.Integration);
        AddParameter(command, "@pipeline", sync.Pipeline);
        AddParameter(command, "@configuration_name", sync.ConfigurationName);
        AddParameter(command, "@configuration_json", sync.ConfigurationJson);
        AddParameter(command, "@credential_id", Id(sync.CredentialId));
        AddParameter(command, "@frequency", sync.Frequency);
        AddParameter(command, "@status", Name(sync.Status));
        AddParameter(command, "@reason", sync.Reason);
        AddParameter(command, "@rate_limit_backoff_ms", sync.RateLimitBackoffMs);
        AddParameter(command, "@next_run_at", Ms(sync.NextRunAt));
        AddParameter(command, "@last_run_started_at", Ms(sync.LastRunStartedAt));
        AddParameter(command, "@last_synced_at", Ms(sync.LastSyncedAt));
        AddParameter(command, "@total_records", sync.TotalRecords);
        AddParameter(command, "@synced_records_count", sync.SyncedRecordsCount);
        AddParameter(command, "@latest_cursor", sync.LatestCursor);
        AddParameter(command, "@version", sync.Version);
        AddParameter(command, "@created_at", Ms(sync.CreatedAt));
        AddParameter(command, "@updated_at", Ms(sync.UpdatedAt));
    }

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
        LatestCursor = NullableString(r, 17),
        Version = r.GetInt64(18),
        CreatedAt = Time(r, 19),
        UpdatedAt = Time(r, 20),
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

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql,
        params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            AddParameter(command, name, value);
        }
        return command;
    }

    private static void AddParameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private protected static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql,
        CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private protected static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? tx, string sql,
        CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
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
