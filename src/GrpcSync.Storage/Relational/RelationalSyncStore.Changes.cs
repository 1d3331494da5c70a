using System.Collections.Concurrent;
using System.Data.Common;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>The one funnel from a SyncChange to planned writes: read inside the transaction, validate, plan, execute.</summary>
public abstract partial class RelationalSyncStore
{
    private async Task<StoredSync?> ReadSyncAsync(StoreConnection connection, DbTransaction tx, Guid syncId, Scope? scope, bool lockRow,
        CancellationToken ct)
    {
        var sql = $"SELECT {SyncRowColumns} FROM syncs WHERE id = @id" +
                  (scope is null ? "" : " AND project_id = @project_id AND user_id = @user_id") +
                  (lockRow ? LockClause : "");
        var command = Command(connection, tx, sql, ("@id", IdParameter(syncId)));
        if (scope is { } s)
        {
            AddParameter(command, "@project_id", s.ProjectId);
            AddParameter(command, "@user_id", s.UserId);
        }
        var found = await ReadAllAsync(command, ReadStoredSync, ct);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>The stored Sync with its open runs: those in sync_runs and the one its row keeps.</summary>
    private async Task<SyncSnapshot> ReadSnapshotAsync(StoreConnection connection, DbTransaction tx, StoredSync stored,
        CancellationToken ct)
    {
        var command = Command(connection, tx,
            $"SELECT {RunColumns} FROM sync_runs WHERE sync_id = @sync_id AND {OpenStates} ORDER BY created_at, id",
            ("@sync_id", IdParameter(stored.Sync.Id)));
        return new SyncSnapshot(stored.Sync, WithRowRun(await ReadAllAsync(command, ReadRun, ct), stored.Row));
    }

    private async Task ApplyAsync<T>(StoreConnection connection, DbTransaction tx, SyncSnapshot before, RowState row,
        SyncChange<T>? change, CancellationToken ct)
    {
        var writes = new List<Write>();
        await PlanWritesAsync(connection, tx, before, row, change, writes, endedRunsFreeSlots: true, ct);
        await ExecuteWritesAsync(connection, tx, writes, ct);
    }

    /// <summary>
    /// One planned statement of a change, with the row count it must affect (else: the message to fail with; null: any
    /// count). A write of a credential's budget row names the credential: those go last, in credential order
    /// (<see cref="ExecuteWritesAsync"/>), so two transactions never wait for each other's budget rows in opposite orders.
    /// </summary>
    private sealed record Write(string Sql, (string Name, object? Value)[] Parameters, string? FailureUnlessOneRow,
        Guid? BudgetOf = null);

    /// <summary>
    /// Checks <paramref name="change"/> against the Sync as read and adds its statements to <paramref name="writes"/>.
    /// A new credential binding is checked here, at once (a read under a share lock), not deferred with the writes.
    /// With <paramref name="endedRunsFreeSlots"/>, a change that ends a RUNNING run frees its credential's slot
    /// (<see cref="PlanBudgetWrites{T}"/>); the dispatcher passes false (the runs it takes back had a dead lease,
    /// which no count included). Returns the Sync's row as the change leaves it when the change writes nothing else
    /// (no run rows, events or budgets; <see cref="ClaimedRows"/>), else null.
    /// </summary>
    private async Task<StoredSync?> PlanWritesAsync<T>(StoreConnection connection, DbTransaction tx, SyncSnapshot before, RowState row,
        SyncChange<T>? change, List<Write> writes, bool endedRunsFreeSlots, CancellationToken ct)
    {
        if (change is null)
        {
            throw new InvalidOperationException("The decision returned no change; return SyncChange<T>.Nothing(result) instead.");
        }
        var current = before.Sync;
        Validate(current, change);
        var planned = writes.Count;

        // The run writes first (they decide what the Sync's row keeps for its runs), then the row, then the runs' rows.
        var runWrites = new List<Write>();
        var rowAfter = await PlanRunWritesAsync(connection, tx, current.Id, row, change, runWrites, ct);
        var next = change.NewSync ?? current;
        if (change.NewSync is not null && next.CredentialId != current.CredentialId)
        {
            await EnsureCredentialLiveAsync(connection, tx, next.Scope, next.CredentialId, ct);
        }
        // Only the columns that changed: an index is rewritten only when the UPDATE names one of its columns.
        object?[] old = [.. SyncRowValues(current), .. RowStateValues(row)];
        object?[] after = [.. SyncRowValues(next), .. RowStateValues(rowAfter)];
        var parameters = new List<(string Name, object? Value)> { ("@id", IdParameter(current.Id)), ("@previous_version", current.Version) };
        var changed = 0L;
        for (var i = 0; i < after.Length; i++)
        {
            if (!Equals(old[i], after[i]))
            {
                changed |= 1L << i;
                parameters.Add((WritableParameterNames[i], after[i]));
            }
        }
        if (changed != 0)
        {
            // Cannot fail while the row is locked; if it does, the lock is broken: write nothing.
            writes.Add(new Write(UpdateSyncSql(changed), [.. parameters],
                $"Sync {current.Id} was changed by someone else while locked (expected version {current.Version})."));
        }
        writes.AddRange(runWrites);

        // Last, so each event copies the Sync's row as this change left it; same transaction as the change.
        PlanEventWrites(current.Id, change.Events, writes);
        PlanBudgetWrites(before, change, endedRunsFreeSlots, writes);
        return writes.Count - planned == (changed != 0 ? 1 : 0) ? new StoredSync(next, rowAfter) : null;
    }

    /// <summary>
    /// Runs <paramref name="writes"/> in order, each of which must affect exactly one row. Where the provider
    /// batches statements (PostgreSQL), they go in one round trip; otherwise (SQLite, in-process) one by one
    /// on statements prepared once per connection (<see cref="StoreConnection.Runner"/>). A failed check throws: the caller's transaction is rolled back by its disposal.
    /// </summary>
    private static async Task ExecuteWritesAsync(StoreConnection connection, DbTransaction tx, List<Write> writes, CancellationToken ct)
    {
        if (!connection.AppendedEvents && writes.Exists(w => ReferenceEquals(w.Sql, InsertEventSql)))
        {
            connection.AppendedEvents = true;
        }
        if (writes.Exists(w => w.BudgetOf is not null))
        {
            // Stable: the other writes keep their order, budget rows go last by credential.
            writes = [.. writes.Where(w => w.BudgetOf is null), .. writes.Where(w => w.BudgetOf is not null).OrderBy(w => w.BudgetOf)];
        }
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
                if (writes[i].FailureUnlessOneRow is { } failure && batch.BatchCommands[i].RecordsAffected != 1)
                {
                    throw new InvalidOperationException(failure);
                }
            }
            return;
        }
        foreach (var write in writes)
        {
            ct.ThrowIfCancellationRequested();
            var affected = connection.Runner is { } runner
                ? runner.Execute(write.Sql, write.Parameters)
                : await Command(connection, tx, write.Sql, write.Parameters).ExecuteNonQueryAsync(ct);
            if (affected != 1 && write.FailureUnlessOneRow is { } failure)
            {
                throw new InvalidOperationException(failure);
            }
        }
    }

    private string LockedSyncsSql => _lockedSyncsSql ??= $"SELECT {SyncRowColumns} FROM syncs WHERE {IdIsOneOf("id", "@ids")}";

    private string LockedOpenRunsSql => _lockedOpenRunsSql ??=
        $"SELECT {RunColumns} FROM sync_runs WHERE {IdIsOneOf("sync_id", "@ids")} AND {OpenStates} ORDER BY created_at, id";

    private string? _lockedSyncsSql;
    private string? _lockedOpenRunsSql;

    /// <summary>
    /// Reads the Syncs <paramref name="syncIds"/> (rows the caller has locked where the provider locks rows) with
    /// their open runs, two queries for the lot (the ids bound as one value, <see cref="IdIsOneOf"/>), and applies each
    /// decision in order, writing every change in one go (<see cref="ExecuteWritesAsync"/>). Ids must be distinct.
    /// Returns each Sync's change, or null where the Sync does not exist. A decision that throws or breaks the rules
    /// fails the whole set. With <paramref name="claimed"/>, a Sync kept there is not read (it has no run in sync_runs:
    /// <see cref="Remember"/>), and every Sync decided is staged there as its change leaves it.
    /// </summary>
    private async Task<SyncChange<T>?[]> MutateLockedAsync<T>(StoreConnection connection, DbTransaction tx,
        IReadOnlyList<Guid> syncIds, Func<int, SyncSnapshot, SyncChange<T>> decide, CancellationToken ct,
        bool endedRunsFreeSlots = true, ClaimedRows? claimed = null)
    {
        var syncs = new Dictionary<Guid, StoredSync>();
        var openRuns = new Dictionary<Guid, List<SyncRun>>();
        var toRead = new List<Guid>(syncIds.Count);
        foreach (var id in syncIds)
        {
            if (claimed is not null && claimed.TryGet(id, out var kept))
            {
                syncs[id] = kept;
            }
            else
            {
                toRead.Add(id);
            }
        }
        if (toRead.Count > 0)
        {
            var ids = IdSetParameter(toRead);
            foreach (var stored in await ReadAllAsync(Command(connection, tx, LockedSyncsSql, ("@ids", ids)), ReadStoredSync, ct))
            {
                syncs[stored.Sync.Id] = stored;
            }
            foreach (var run in await ReadAllAsync(Command(connection, tx, LockedOpenRunsSql, ("@ids", ids)), ReadRun, ct))
            {
                (openRuns.TryGetValue(run.SyncId, out var list) ? list : openRuns[run.SyncId] = []).Add(run);
            }
        }

        var results = new SyncChange<T>?[syncIds.Count];
        var writes = new List<Write>();
        for (var i = 0; i < syncIds.Count; i++)
        {
            if (!syncs.TryGetValue(syncIds[i], out var stored))
            {
                continue;
            }
            var ownRows = openRuns.TryGetValue(stored.Sync.Id, out var runs) ? runs : [];
            var snapshot = new SyncSnapshot(stored.Sync, WithRowRun(ownRows, stored.Row));
            var change = decide(i, snapshot);
            var after = await PlanWritesAsync(connection, tx, snapshot, stored.Row, change, writes, endedRunsFreeSlots, ct);
            claimed?.Stage(stored.Sync.Id, Remember(after, ownRows.Count));
            results[i] = change;
        }
        await ExecuteWritesAsync(connection, tx, writes, ct);
        return results;
    }

    /// <summary>
    /// What <see cref="ClaimedRows"/> keeps of a Sync a change left as <paramref name="after"/>: its row while a run is kept
    /// on it and it has no run of its own in sync_runs (<paramref name="ownRunsBefore"/> and the change wrote none), so the
    /// row is all its snapshot needs; else nothing.
    /// </summary>
    private static StoredSync? Remember(StoredSync? after, int ownRunsBefore) =>
        after is { Row.Run: not null } && ownRunsBefore == 0 ? AsStored(after) : null;

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
        "@retries, @lease_owner, @lease_expires_at, @hold, @collapsed_runs, @last_started_at)";

    /// <summary>A run's id, Sync and kind never change; everything else may.</summary>
    private const string UpdateRunSql =
        "UPDATE sync_runs SET state = @state, due_at = @due_at, started_at = @started_at, " +
        "finished_at = @finished_at, attempt = @attempt, error = @error, retries = @retries, " +
        "lease_owner = @lease_owner, lease_expires_at = @lease_expires_at, hold = @hold, collapsed_runs = @collapsed_runs, " +
        "last_started_at = @last_started_at WHERE id = @id AND sync_id = @sync_id";

    private async Task InsertRunAsync(StoreConnection connection, DbTransaction tx, SyncRun run, CancellationToken ct) =>
        await ExecuteAsync(connection, tx, InsertRunSql, ct, RunParameters(run));

    private static readonly ConcurrentDictionary<long, string> UpdateSyncSqlByColumns = new();

    /// <summary>The Sync's columns, then its row state's: what a change may write to the Sync's row.
    /// (From the constants: static fields of other files of this partial class may not be initialised yet.)</summary>
    private static readonly string[] WritableColumnNames = (SyncColumns + ", " + RowStateColumns).Split(", ");

    private static readonly string[] WritableParameterNames = [.. WritableColumnNames.Select(c => "@" + c)];

    /// <summary>
    /// <c>UPDATE syncs SET</c> the columns in <paramref name="changedColumns"/> (bit i = <see cref="WritableColumnNames"/>[i])
    /// where the id and the previous version match. record_sequence is the store's own: never written here.
    /// </summary>
    private static string UpdateSyncSql(long changedColumns) =>
        UpdateSyncSqlByColumns.GetOrAdd(changedColumns, mask =>
            "UPDATE syncs SET " +
            string.Join(", ", WritableColumnNames.Where((_, i) => (mask & (1L << i)) != 0).Select(c => $"{c} = @{c}")) +
            " WHERE id = @id AND version = @previous_version");
}
