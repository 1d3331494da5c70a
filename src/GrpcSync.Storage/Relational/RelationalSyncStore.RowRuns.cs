using System.Data.Common;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// Runs kept on their Sync's row. A scheduled INCREMENTAL run lives in its Sync's <c>row_run_*</c> columns while it runs,
/// and the collapsed entry the Sync's no-change runs fold into keeps its figures in <c>streak_*</c>: a run that changes
/// nothing then rewrites only its Sync's row (one random page) instead of also inserting and deleting a run row and
/// updating the entry (three more random pages: ix_sync_runs_sync_created, ix_sync_runs_open, the entry's page). A run
/// gets its row in sync_runs when it has something to report — changes, a failure, a retry, a cancel — and the entry's
/// row gets the streak's figures when the streak ends (a newer entry of the Sync is written). Every reader sees one
/// history: open runs include the row's run, and the streak's figures overlay its entry (<see cref="WithRowState"/>).
/// </summary>
public abstract partial class RelationalSyncStore
{
    /// <summary>A Sync as stored: the domain's Sync and what its row keeps for its runs.</summary>
    private sealed record StoredSync(Sync Sync, RowState Row);

    /// <summary>The run kept on a Sync's row (RUNNING) and the streak its no-change runs are folding into.</summary>
    private sealed record RowState(SyncRun? Run, RowStreak? Streak);

    /// <summary>The collapsed entry <paramref name="EntryId"/> as it stands: its row in sync_runs may lag behind.</summary>
    private sealed record RowStreak(Guid EntryId, int Runs, DateTimeOffset? LastStartedAt, DateTimeOffset? FinishedAt);

    private const string RowStateColumns =
        "row_run_id, row_run_created_at, row_run_due_at, row_run_started_at, row_run_attempt, row_run_lease_owner, " +
        "row_run_lease_expires_at, streak_entry_id, streak_runs, streak_last_started_at, streak_finished_at";

    /// <summary>The columns a Sync is read from when its runs matter (snapshots and changes).</summary>
    private const string SyncRowColumns = SyncReadColumns + ", " + RowStateColumns;

    /// <summary>Where the row state starts in <see cref="SyncRowColumns"/>.</summary>
    private static readonly int RowStateOrdinal = SyncReadColumns.Split(", ").Length;

    /// <summary>
    /// Whether <paramref name="run"/> is kept on its Sync's row: a scheduled INCREMENTAL run that is RUNNING on its first
    /// try, under a lease (the quiet runs of <see cref="SyncEvents.AnnouncesStart"/>). Anything else goes to sync_runs.
    /// </summary>
    private static bool KeptOnRow(SyncRun run) =>
        run is
        {
            State: RunState.Running, Type: RunType.Incremental, Trigger: RunTrigger.Schedule, Retries: 0, Hold: null,
            Error: null, FinishedAt: null, CollapsedRuns: null, LastStartedAt: null, LeaseExpiresAt: not null,
        };

    private StoredSync ReadStoredSync(DbDataReader r)
    {
        var sync = ReadSync(r);
        var o = RowStateOrdinal;
        var run = r.IsDBNull(o) ? null
            : RowRun(ReadId(r, o), sync.Id, Time(r, o + 1), Time(r, o + 2), NullableTime(r, o + 3), r.GetInt32(o + 4),
                NullableString(r, o + 5), NullableTime(r, o + 6));
        var streak = r.IsDBNull(o + 7) ? null
            : new RowStreak(ReadId(r, o + 7), r.GetInt32(o + 8), NullableTime(r, o + 9), NullableTime(r, o + 10));
        return new StoredSync(sync, new RowState(run, streak));
    }

    /// <summary>The run a Sync's row keeps, from the row's columns (everything else about it is fixed: <see cref="KeptOnRow"/>).</summary>
    private static SyncRun RowRun(Guid id, Guid syncId, DateTimeOffset createdAt, DateTimeOffset dueAt, DateTimeOffset? startedAt,
        int attempt, string? leaseOwner, DateTimeOffset? leaseExpiresAt) => new()
    {
        Id = id,
        SyncId = syncId,
        Type = RunType.Incremental,
        Trigger = RunTrigger.Schedule,
        State = RunState.Running,
        CreatedAt = createdAt,
        DueAt = dueAt,
        StartedAt = startedAt,
        Attempt = attempt,
        LeaseOwner = leaseOwner,
        LeaseExpiresAt = leaseExpiresAt,
    };

    /// <summary>The row state's column values as bound, in <see cref="RowStateColumns"/> order.</summary>
    private object?[] RowStateValues(RowState state) =>
    [
        Id(state.Run?.Id), Ms(state.Run?.CreatedAt), Ms(state.Run?.DueAt), Ms(state.Run?.StartedAt), state.Run?.Attempt,
        state.Run?.LeaseOwner, Ms(state.Run?.LeaseExpiresAt),
        Id(state.Streak?.EntryId), state.Streak?.Runs, Ms(state.Streak?.LastStartedAt), Ms(state.Streak?.FinishedAt),
    ];

    /// <summary>The Sync's open runs from sync_runs with the row's run among them, in creation order.</summary>
    private static IReadOnlyList<SyncRun> WithRowRun(IReadOnlyList<SyncRun> openRuns, RowState row)
    {
        if (row.Run is not { } onRow)
        {
            return openRuns;
        }
        var all = new List<SyncRun>(openRuns.Count + 1);
        all.AddRange(openRuns.Where(r => CompareHistoryPositions(r.CreatedAt, r.Id, onRow.CreatedAt, onRow.Id) < 0));
        all.Add(onRow);
        all.AddRange(openRuns.Where(r => CompareHistoryPositions(r.CreatedAt, r.Id, onRow.CreatedAt, onRow.Id) > 0));
        return all;
    }

    /// <summary>
    /// (created_at, id) ordered as both stores order them: milliseconds, then the id's text (SQLite's TEXT ids; PostgreSQL
    /// compares uuids by their bytes, the order of their hex digits).
    /// </summary>
    private static int CompareHistoryPositions(DateTimeOffset createdA, Guid idA, DateTimeOffset createdB, Guid idB)
    {
        var byTime = createdA.ToUnixTimeMilliseconds().CompareTo(createdB.ToUnixTimeMilliseconds());
        return byTime != 0 ? byTime : string.CompareOrdinal(idA.ToString("D"), idB.ToString("D"));
    }

    /// <summary>A stored entry as readers must see it: the streak's figures when it is the streak's entry.</summary>
    private static SyncRun WithRowState(SyncRun entry, RowStreak? streak) =>
        streak is not null && streak.EntryId == entry.Id
            ? entry with { CollapsedRuns = streak.Runs, LastStartedAt = streak.LastStartedAt, FinishedAt = streak.FinishedAt }
            : entry;

    /// <summary>The streak as the entry <see cref="RunHistory.Fold"/> folds into (only the fields it reads and moves).</summary>
    private static SyncRun StreakEntry(Guid syncId, RowStreak streak) => new()
    {
        Id = streak.EntryId,
        SyncId = syncId,
        Type = RunType.Incremental,
        Trigger = RunTrigger.Schedule,
        State = RunState.Succeeded,
        CreatedAt = DateTimeOffset.UnixEpoch,
        DueAt = DateTimeOffset.UnixEpoch,
        CollapsedRuns = streak.Runs,
        LastStartedAt = streak.LastStartedAt,
        FinishedAt = streak.FinishedAt,
    };

    private const string NewestEntrySql =
        $"SELECT {RunColumns} FROM sync_runs WHERE sync_id = @sync_id ORDER BY created_at DESC, id DESC LIMIT 1";

    /// <summary>The streak's figures written to its entry's row, once, when the streak ends.</summary>
    private const string FlushStreakSql =
        "UPDATE sync_runs SET collapsed_runs = @collapsed_runs, last_started_at = @last_started_at, finished_at = @finished_at " +
        "WHERE id = @id AND sync_id = @sync_id";

    /// <summary>
    /// Plans the run writes of <paramref name="change"/> to a Sync whose row holds <paramref name="row"/>, adding them to
    /// <paramref name="writes"/>; returns what the row holds after them (the caller writes it with the Sync's row).
    /// </summary>
    private async Task<RowState> PlanRunWritesAsync<T>(StoreConnection connection, DbTransaction tx, Guid syncId, RowState row,
        SyncChange<T> change, List<Write> writes, CancellationToken ct)
    {
        var state = row;
        var newEntry = false; // a run of the Sync got a row of its own after the streak's entry: the streak ends
        // Updates first: the runs a change inserts are its newest, so they end any streak its updates start or extend.
        foreach (var update in change.RunsToUpdate)
        {
            var run = update with { SyncId = syncId };
            var folds = ReferenceEquals(update, change.FoldIntoHistory);
            if (state.Run is { } onRow && onRow.Id == run.Id)
            {
                if (KeptOnRow(run))
                {
                    state = state with { Run = run }; // a lease or a new attempt
                    continue;
                }
                state = state with { Run = null };
                if (folds)
                {
                    state = await PlanRowFoldAsync(connection, tx, syncId, run, state, writes, ct);
                    continue;
                }
                writes.Add(InsertRunWrite(run));
                newEntry = true;
                continue;
            }
            // A run with a row of its own (queued or triggered runs, or one written before runs lived on Sync rows).
            if (folds && state.Streak is null && await PlanFoldAsync(connection, tx, syncId, run, ownRow: true, writes, ct))
            {
                continue;
            }
            writes.Add(new Write(UpdateRunSql, RunParameters(run),
                $"Run {run.Id} of Sync {syncId} does not exist; it cannot be updated."));
            newEntry |= folds;
        }

        foreach (var run in change.RunsToInsert)
        {
            if (state.Run is null && KeptOnRow(run))
            {
                state = state with { Run = run };
                continue;
            }
            writes.Add(InsertRunWrite(run));
            newEntry = true;
        }

        if (newEntry && state.Streak is { } ended)
        {
            writes.Add(new Write(FlushStreakSql,
                [
                    ("@id", IdParameter(ended.EntryId)), ("@sync_id", IdParameter(syncId)), ("@collapsed_runs", ended.Runs),
                    ("@last_started_at", Ms(ended.LastStartedAt)), ("@finished_at", Ms(ended.FinishedAt)),
                ],
                FailureUnlessOneRow: null)); // retention never takes a Sync's newest entries, but a missing one loses nothing
            state = state with { Streak = null };
        }
        return state;
    }

    /// <summary>
    /// A finished no-change run that was kept on the row: folded into the streak when there is one; else the Sync's
    /// newest entry decides (one read per streak): folded into it when <see cref="RunHistory.Fold"/> allows (that entry
    /// becomes the streak), or written as an entry of its own that starts the streak.
    /// </summary>
    private async Task<RowState> PlanRowFoldAsync(StoreConnection connection, DbTransaction tx,
        Guid syncId, SyncRun finished, RowState state, List<Write> writes, CancellationToken ct)
    {
        if (state.Streak is { } streak && RunHistory.Fold(StreakEntry(syncId, streak), finished) is { } extended)
        {
            return state with { Streak = AsStreak(extended) };
        }
        var newest = (await ReadAllAsync(Command(connection, tx, NewestEntrySql, ("@sync_id", IdParameter(syncId))), ReadRun, ct))
            .FirstOrDefault();
        if (newest is null || CompareHistoryPositions(newest.CreatedAt, newest.Id, finished.CreatedAt, finished.Id) < 0)
        {
            if (RunHistory.Fold(newest, finished) is { } folded)
            {
                return state with { Streak = AsStreak(folded) };
            }
            writes.Add(InsertRunWrite(finished));
            return state with { Streak = AsStreak(finished) };
        }
        // A newer entry exists (a run queued meanwhile, since ended): the entry just before this run decides, as it did
        // before runs lived on Sync rows, and no streak is kept on the row.
        if (await PlanFoldAsync(connection, tx, syncId, finished, ownRow: false, writes, ct))
        {
            return state;
        }
        writes.Add(InsertRunWrite(finished));
        return state;
    }

    /// <summary>The run's own row, written when it has something to report or starts an entry.</summary>
    private Write InsertRunWrite(SyncRun run) => new(InsertRunSql, RunParameters(run), $"Run {run.Id} could not be inserted.");

    private static RowStreak AsStreak(SyncRun entry) =>
        new(entry.Id, entry.CollapsedRuns ?? 1, entry.LastStartedAt, entry.FinishedAt);
}
