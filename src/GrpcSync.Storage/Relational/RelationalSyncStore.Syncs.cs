using System.Data.Common;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>Syncs: insert, read, list, mutate (one, or a batch) and delete; their runs listed and read.</summary>
public abstract partial class RelationalSyncStore
{
    /// <summary>The INSERT of a new Sync's row, placed where the store wants it (<see cref="SyncPlacement"/>).</summary>
    private string InsertSyncSql => _insertSyncSql ??= SyncPlacement is { } placement
        ? $"INSERT INTO syncs ({placement.Column}, {SyncColumns}) VALUES ({placement.Value}, {SyncValues}) ON CONFLICT (id) DO NOTHING"
        : $"INSERT INTO syncs ({SyncColumns}) VALUES ({SyncValues}) ON CONFLICT (id) DO NOTHING";

    private string? _insertSyncSql;

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
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // a new row: none kept is touched
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await OpenConnectionAsync(ct);
            await using var tx = await BeginWriteAsync(connection.Connection, ct);
            {
                var insert = Command(connection, tx, InsertSyncSql);
                AddSyncParameters(insert, sync);
                AddSyncPlacementParameters(insert, sync.Id);
                var created = await insert.ExecuteNonQueryAsync(ct) == 1;
                if (created)
                {
                    await EnsureCredentialLiveAsync(connection, tx, sync.Scope, sync.CredentialId, ct);
                    await InsertRunAsync(connection, tx, initialRun, ct);
                    await ContinueEventSequenceAsync(connection, tx, IdParameter(sync.Id), ct);
                }
                var stored = (await ReadSyncAsync(connection, tx, sync.Id, scope: null, lockRow: false, ct))?.Sync;
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
                await CommitAsync(connection, tx);
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
        var stored = await ReadSyncAsync(connection, tx, syncId, scope, lockRow: false, ct);
        if (stored is null)
        {
            return null;
        }
        var snapshot = await ReadSnapshotAsync(connection, tx, stored, ct);
        await CommitAsync(connection, tx);
        return snapshot;
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
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct); // MutateOneAsync forgets the one row it may change
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var change = await MutateOneAsync(connection, tx, scope, syncId, decide, ct); // throws => rolled back by the disposal
        if (change is not null)
        {
            await CommitAsync(connection, tx);
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
        ForgetClaimedRow(syncId);
        var stored = await ReadSyncAsync(connection, tx, syncId, scope, lockRow: true, ct);
        if (stored is null)
        {
            return null;
        }
        var snapshot = await ReadSnapshotAsync(connection, tx, stored, ct);
        var change = decide(snapshot);
        await ApplyAsync(connection, tx, snapshot, stored.Row, change, ct);
        return change;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SyncChange<T>?>> MutateSyncsAsync<T>(
        IReadOnlyList<(Guid SyncId, Func<SyncSnapshot, SyncChange<T>> Decide)> mutations, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(mutations);
        if (mutations.Count == 0)
        {
            return [];
        }
        // The finish batch decides on the rows the dispatcher claimed as it committed them (ClaimedRows), where kept.
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct);
        var claimed = KeptClaimedRows;
        try
        {
            return await MutateSyncsInTurnAsync(mutations, claimed, ct);
        }
        catch
        {
            claimed?.Clear(); // the transaction may or may not have committed
            throw;
        }
    }

    private async Task<IReadOnlyList<SyncChange<T>?>> MutateSyncsInTurnAsync<T>(
        IReadOnlyList<(Guid SyncId, Func<SyncSnapshot, SyncChange<T>> Decide)> mutations, ClaimedRows? claimed, CancellationToken ct)
    {
        var results = new SyncChange<T>?[mutations.Count];
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        if (LockClause.Length > 0)
        {
            // Row locks up front, in the order DeleteCredentialAsync takes them (created_at, id), so a batch
            // and a credential delete never wait for each other in opposite orders (a deadlock).
            // The ids as one value (IdIsOneOf): one prepared statement whatever the batch's size.
            var distinct = mutations.Select(m => m.SyncId).Distinct().ToList();
            _lockSyncsInCreationOrderSql ??= $"SELECT id FROM syncs WHERE {IdIsOneOf("id", "@ids")} ORDER BY created_at, id" + LockClause;
            var lockRows = Command(connection, tx, _lockSyncsInCreationOrderSql, ("@ids", IdSetParameter(distinct)));
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
            results = await MutateLockedAsync(connection, tx, ids, (i, snapshot) => mutations[i].Decide(snapshot), ct,
                claimed: claimed);
        }
        else
        {
            // A Sync twice (e.g. two attempts of one run ending together): each decision must see the one before.
            // A decision that throws rolls the whole batch back by the transaction's disposal.
            for (var i = 0; i < mutations.Count; i++)
            {
                results[i] = await MutateOneAsync(connection, tx, scope: null, ids[i], mutations[i].Decide, ct);
                claimed?.Stage(ids[i], null); // read from the database and written: what was kept is stale
            }
        }
        await CommitAsync(connection, tx);
        claimed?.Commit();
        return results;
    }

    private string? _lockSyncsInCreationOrderSql;

    /// <inheritdoc />
    public async Task<bool> DeleteSyncAsync(Scope scope, Guid syncId, DateTimeOffset now, CancellationToken ct = default)
    {
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct);
        ForgetClaimedRow(syncId);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        // Locked first, like every writer of the Sync, so sync_deleted takes the next sequence alone.
        if (await ReadSyncAsync(connection, tx, syncId, scope, lockRow: true, ct) is null)
        {
            return false;
        }
        await AppendEventsAsync(connection, tx, syncId, [SyncEvents.SyncDeleted(now)], ct);
        // Runs and records go with it (ON DELETE CASCADE); its events stay until retention removes them.
        var deleted = await ExecuteAsync(connection, tx,
            "DELETE FROM syncs WHERE id = @id AND project_id = @project_id AND user_id = @user_id", ct,
            ("@id", IdParameter(syncId)), ("@project_id", scope.ProjectId), ("@user_id", scope.UserId));
        await CommitAsync(connection, tx);
        return deleted > 0;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One read snapshot, so the runs are those of the incarnation returned with them. The run kept on the Sync's row and
    /// the streak's figures (<see cref="RowState"/>) are merged in, so the history reads as if every run had its row.
    /// </remarks>
    public async Task<RunsPage?> ListRunsAsync(Scope scope, Guid syncId, int limit, RunPosition? after,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginReadAsync(connection.Connection, ct);
        if (await ReadSyncAsync(connection, tx, syncId, scope, lockRow: false, ct) is not { } stored)
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
        var runs = (await ReadAllAsync(command, ReadRun, ct)).Select(r => WithRowState(r, stored.Row.Streak)).ToList();
        await CommitAsync(connection, tx);
        if (stored.Row.Run is { } onRow && (after is not { } cursor || CompareHistoryPositions(onRow.CreatedAt, onRow.Id, cursor.CreatedAt, cursor.Id) < 0))
        {
            var at = runs.FindIndex(r => CompareHistoryPositions(r.CreatedAt, r.Id, onRow.CreatedAt, onRow.Id) < 0);
            runs.Insert(at < 0 ? runs.Count : at, onRow);
            if (runs.Count > limit)
            {
                runs.RemoveAt(runs.Count - 1);
            }
        }
        return new RunsPage(stored.Sync.Incarnation, runs);
    }

    /// <inheritdoc />
    public async Task<SyncRun?> GetRunAsync(Scope scope, Guid syncId, Guid runId, CancellationToken ct = default)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginReadAsync(connection.Connection, ct);
        if (await ReadSyncAsync(connection, tx, syncId, scope, lockRow: false, ct) is not { } stored)
        {
            return null;
        }
        if (stored.Row.Run is { } onRow && onRow.Id == runId)
        {
            await CommitAsync(connection, tx);
            return onRow;
        }
        var command = Command(connection, tx, $"SELECT {RunColumns} FROM sync_runs WHERE id = @id AND sync_id = @sync_id",
            ("@id", IdParameter(runId)), ("@sync_id", IdParameter(syncId)));
        var found = await ReadAllAsync(command, ReadRun, ct);
        // A run that changed nothing may have been folded into a collapsed entry since its id was seen: the entry answers.
        var run = found.Count > 0 ? WithRowState(found[0], stored.Row.Streak)
            : await FindFoldingEntryAsync(connection, tx, syncId, runId, stored.Row.Streak, ct);
        await CommitAsync(connection, tx);
        return run;
    }
}
