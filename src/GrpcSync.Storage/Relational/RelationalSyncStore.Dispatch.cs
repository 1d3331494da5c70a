using System.Data.Common;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>The dispatcher's claim of due work, and lease renewal.</summary>
public abstract partial class RelationalSyncStore
{
    /// <summary>
    /// Syncs the dispatcher may have work for at @now, at most @max: work that came due within
    /// <see cref="FreshWindow"/> first, then the rest, each soonest due first — except that one slot in
    /// <see cref="BacklogShare"/> of a full round goes to the oldest backlog. Every source is read in due order
    /// from its own index and cut at @max, so a round costs O(@max) however large the backlog (why this shape:
    /// "Store notes" in docs/ARCHITECTURE.md). Sources:
    /// (f)/(a) <c>next_run_at</c> due and no open run (ix_syncs_next_run): (f) within the window, (a) all;
    /// (bf)/(b) a QUEUED run due and no RUNNING run under a live lease (ix_sync_runs_queued_due), split the same way;
    /// (c) a RUNNING run whose lease expired, or none: written before leases existed (ix_sync_runs_running_lease), and a
    /// run kept on its Sync's row whose lease expired (ix_syncs_row_run_lease). A run on the row also counts as open for (f)/(a)
    /// and, under a live lease, as RUNNING for (b).
    /// Stopped Syncs are left out, and so are Syncs whose credential is marked full (<see cref="CredentialNotBusy"/>);
    /// each candidate comes with its credential and the hold on it, if any. A Sync found by two sources counts once, in its best tier at its earliest due
    /// moment. The redundant <c>state IN ('Queued', 'Running')</c> terms let the per-Sync checks use the partial
    /// index of open runs instead of the Sync's whole run history. The conditions mirror <see cref="RunRules.Dispatch"/>.
    /// </summary>
    private static readonly string DispatchCandidatesSql =
        // (f) first, on its own: how many it found bounds what the scheduled backlog (a) may still get.
        "WITH f AS MATERIALIZED (" + ScheduledCandidates(onTime: true, limit: "@max") + ") " +
        "SELECT c.sync_id, s.credential_id, h.hold_until, h.hold_error FROM (SELECT sync_id, due, " +
        // Interleave: the n-th backlog Sync ranks with the (n × BacklogShare)-th on-time one, so a full round
        // still gives the backlog about one slot in BacklogShare and a sustained overload cannot starve it.
        "CASE WHEN tier = 0 THEN rn ELSE rn * @share END AS tier_rank FROM (" +
        "SELECT sync_id, tier, due, ROW_NUMBER() OVER (PARTITION BY tier ORDER BY due, sync_id) AS rn FROM (" +
        "SELECT sync_id, MIN(tier) AS tier, MIN(due) AS due FROM (" +
        // (f)/(a) the schedule: on time first, then the backlog (oldest first) with what is left.
        "SELECT * FROM f UNION ALL " + ScheduledCandidates(onTime: false, limit: ScheduledBacklogLimit) +
        // (b) queued runs (triggers, retries, INITIAL runs), split the same way.
        " UNION ALL " + QueuedCandidates(onTime: true) + " UNION ALL " + QueuedCandidates(onTime: false) +
        // (c) RUNNING runs to reclaim: their worker died. Backlog by nature (the lease ran out).
        " UNION ALL SELECT * FROM (SELECT x.sync_id, COALESCE(x.lease_expires_at, 0) AS due, 1 AS tier " +
        "FROM sync_runs x JOIN syncs s ON s.id = x.sync_id " +
        "WHERE x.state = " + SqlLiterals.Running + " AND (x.lease_expires_at IS NULL OR x.lease_expires_at <= @now) " +
        "AND s.status NOT IN " + SqlLiterals.StoppedSyncStatuses + " " + CredentialNotBusy("s") +
        "ORDER BY COALESCE(x.lease_expires_at, 0) LIMIT @max) x" +
        // (c) the same for runs kept on their Sync's row (ix_syncs_row_run_lease; such a run always has a lease).
        " UNION ALL SELECT * FROM (SELECT s.id AS sync_id, s.row_run_lease_expires_at AS due, 1 AS tier FROM syncs s " +
        "WHERE s.row_run_id IS NOT NULL AND s.row_run_lease_expires_at <= @now " +
        "AND s.status NOT IN " + SqlLiterals.StoppedSyncStatuses + " " + CredentialNotBusy("s") +
        "ORDER BY s.row_run_lease_expires_at LIMIT @max) y" +
        ") u GROUP BY sync_id) grouped) ranked) c " +
        "JOIN syncs s ON s.id = c.sync_id " +
        // The source's hold on the candidate's credential, if one is on (a probe of a table that is usually empty).
        "LEFT JOIN credential_budgets h ON h.credential_id = s.credential_id AND h.hold_until > @now " +
        "ORDER BY c.tier_rank, c.due, s.id LIMIT @max";

    /// <summary>
    /// The most of the scheduled backlog (a) a round can take: what (f) left of @max, but at least the backlog's share
    /// (one in <see cref="BacklogShare"/>, and one more for rounding). (a) shares no Sync with another source (no open
    /// run, due before the window), and the interleave gives the backlog at most that many places, so the cut loses
    /// nothing; under an overload it spares the round reading @max backlog rows to keep a tenth of them.
    /// </summary>
    private const string ScheduledBacklogLimit =
        "(CASE WHEN @max - (SELECT COUNT(*) FROM f) > @max / @share + 1 THEN @max - (SELECT COUNT(*) FROM f) " +
        "ELSE @max / @share + 1 END)";

    /// <summary>next_run_at due and no open run; <paramref name="onTime"/>: only what came due within <see cref="FreshWindow"/>.</summary>
    private static string ScheduledCandidates(bool onTime, string limit) =>
        $"SELECT * FROM (SELECT s.id AS sync_id, s.next_run_at AS due, {(onTime ? 0 : 1)} AS tier FROM syncs s " +
        "WHERE s.next_run_at <= @now " + (onTime ? "AND s.next_run_at > @fresh " : "") +
        "AND s.status NOT IN " + SqlLiterals.StoppedSyncStatuses + " " + CredentialNotBusy("s") +
        "AND s.row_run_id IS NULL " +
        "AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.sync_id = s.id AND r.state IN " + SqlLiterals.OpenRunStates + ") " +
        $"ORDER BY s.next_run_at LIMIT {limit}) {(onTime ? "fresh" : "a")}";

    /// <summary>A QUEUED run due and no RUNNING run under a live lease; <paramref name="onTime"/> as above.</summary>
    private static string QueuedCandidates(bool onTime) =>
        $"SELECT * FROM (SELECT q.sync_id, q.due_at AS due, {(onTime ? 0 : 1)} AS tier " +
        "FROM sync_runs q JOIN syncs s ON s.id = q.sync_id " +
        "WHERE q.state = " + SqlLiterals.Queued + " AND q.due_at <= @now " + (onTime ? "AND q.due_at > @fresh " : "") +
        "AND s.status NOT IN " + SqlLiterals.StoppedSyncStatuses + " " + CredentialNotBusy("s") +
        "AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.sync_id = q.sync_id AND r.state IN " + SqlLiterals.OpenRunStates + " " +
        "AND r.state = " + SqlLiterals.Running + " AND r.lease_expires_at > @now) " +
        "AND NOT (s.row_run_id IS NOT NULL AND s.row_run_lease_expires_at > @now) " +
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
    /// One write transaction for the batch: the candidates are selected and locked (SQLite: selected just before it,
    /// <see cref="ReadsCandidatesBeforeTheTurn"/>), then each is read
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
    /// Then the candidates' credentials are locked for dispatch (sorted; <see cref="LockCredentialsForDispatchAsync"/>)
    /// and their running runs counted, so replicas taking Syncs of one credential take its slots one after the other.
    /// SQLite: BEGIN IMMEDIATE serialises all writers of the database, so dispatchers only take turns;
    /// run one dispatcher per SQLite database.
    /// </para>
    /// </remarks>
    public async Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max,
        Func<string, int> maxRunsPerCredential, Func<SyncSnapshot, CredentialBudget, SyncChange<SyncRun?>> decide,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(maxRunsPerCredential);
        ArgumentNullException.ThrowIfNull(decide);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        Candidates? early = null;
        if (ReadsCandidatesBeforeTheTurn)
        {
            early = await ReadCandidatesBeforeTheTurnAsync(now, max, ct);
            if (early.Syncs.Count == 0)
            {
                return []; // nothing due: no write turn, no transaction
            }
        }
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct);
        var claimed = KeptClaimedRows;
        try
        {
            return await DispatchInTurnAsync(now, max, maxRunsPerCredential, decide, early, claimed, ct);
        }
        catch
        {
            claimed?.Clear(); // the transaction may or may not have committed
            throw;
        }
    }

    private async Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchInTurnAsync(DateTimeOffset now, int max,
        Func<string, int> maxRunsPerCredential, Func<SyncSnapshot, CredentialBudget, SyncChange<SyncRun?>> decide,
        Candidates? early, ClaimedRows? claimed, CancellationToken ct)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var (candidates, holds, credentials) = early ?? await ReadCandidatesAsync(connection, tx, now, max, lockRows: true, ct);
        if (early is not null && credentials.Count > 0)
        {
            // Read before the turn: a hold committed since then counts (one probe of a table that is usually empty).
            holds = await ReadHoldsAsync(connection, tx, credentials, now, ct);
        }

        // The slots in use, counted under the credentials' dispatch locks, then kept up to date through the round.
        Dictionary<Guid, (int Running, DateTimeOffset EarliestLease)> running = [];
        if (credentials.Count > 0)
        {
            await LockCredentialsForDispatchAsync(connection, tx, [.. credentials], ct);
            running = await ReadRunningPerCredentialAsync(connection, tx, now, ct);
        }
        var busy = new SortedDictionary<Guid, DateTimeOffset>();
        SyncChange<SyncRun?> DecideWithBudget(SyncSnapshot snapshot)
        {
            if (snapshot.Sync.CredentialId is not { } credential)
            {
                return decide(snapshot, CredentialBudget.Unlimited);
            }
            var (inUse, earliestLease) = running.TryGetValue(credential, out var found) ? found : (0, DateTimeOffset.MaxValue);
            var held = holds.TryGetValue(credential, out var hold);
            var budget = new CredentialBudget(held ? hold.Until : null, held ? hold.Error : null, inUse,
                maxRunsPerCredential(snapshot.Sync.Integration));
            var change = decide(snapshot, budget);
            if (change.Result is { } started)
            {
                var lease = started.LeaseExpiresAt is { } end && end < earliestLease ? end : earliestLease;
                running[credential] = (inUse + 1, lease);
            }
            else if (budget.IsFull && !budget.IsHeldAt(now))
            {
                // Held back for a slot: its credential's Syncs wait out of the candidate set until a run on it ends,
                // or at the latest until the earliest lease ends (a dead worker's slot frees then).
                busy[credential] = earliestLease == DateTimeOffset.MaxValue ? now : earliestLease;
            }
            return change;
        }

        // Locked by the SELECT above; read again (as a set) to see any change committed before the lock was taken.
        // A decision that throws rolls the transaction back by its disposal.
        var changes = await MutateLockedAsync(connection, tx, candidates, (_, snapshot) => DecideWithBudget(snapshot), ct,
            endedRunsFreeSlots: false, claimed);
        var started = new List<(Sync Sync, SyncRun Run)>();
        foreach (var change in changes)
        {
            if (change is { Result: { } run, NewSync: { } sync })
            {
                started.Add((sync, run));
            }
        }
        await MarkBusyAsync(connection, tx, busy, ct);
        await CommitAsync(connection, tx);
        claimed?.Commit();
        return started;
    }

    /// <summary>A round's candidate Syncs (in the order they are claimed), the holds on their credentials, and those credentials.</summary>
    private sealed record Candidates(List<Guid> Syncs, Dictionary<Guid, (DateTimeOffset Until, string? Error)> Holds,
        SortedSet<Guid> Credentials);

    /// <summary>
    /// True where the candidates are read before the write turn, on a reader connection (SQLite): the query then runs
    /// while the previous writer (a finish batch) still writes, instead of adding to the one writer's serial work. Safe
    /// because every candidate is read again under the turn and decided on that, and the holds are read again there;
    /// a candidate that changed meanwhile is decided as it is then (started, or left alone). Where candidates are locked
    /// as they are read (PostgreSQL, <see cref="LockSkippingLocked"/>), they are read in the write transaction.
    /// </summary>
    private protected virtual bool ReadsCandidatesBeforeTheTurn => false;

    private async Task<Candidates> ReadCandidatesBeforeTheTurnAsync(DateTimeOffset now, int max, CancellationToken ct)
    {
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginReadAsync(connection.Connection, ct);
        var found = await ReadCandidatesAsync(connection, tx, now, max, lockRows: false, ct);
        await tx.CommitAsync(CancellationToken.None);
        return found;
    }

    private async Task<Candidates> ReadCandidatesAsync(StoreConnection connection, DbTransaction tx, DateTimeOffset now, int max,
        bool lockRows, CancellationToken ct)
    {
        var found = new Candidates([], [], []);
        var select = Command(connection, tx, DispatchCandidatesSql + (lockRows ? LockSkippingLocked("s") : ""),
            ("@now", Ms(now)), ("@max", max), ("@fresh", Ms(now - FreshWindow)), ("@share", BacklogShare));
        var rows = await ReadAllAsync(select, r => (Sync: ReadId(r, 0), Credential: r.IsDBNull(1) ? (Guid?)null : ReadId(r, 1),
            HoldUntil: NullableTime(r, 2), HoldError: NullableString(r, 3)), ct);
        foreach (var row in rows)
        {
            found.Syncs.Add(row.Sync);
            if (row.Credential is { } credential)
            {
                found.Credentials.Add(credential);
                if (row.HoldUntil is { } until)
                {
                    found.Holds[credential] = (until, row.HoldError);
                }
            }
        }
        return found;
    }

    private string HoldsSql => _holdsSql ??=
        $"SELECT credential_id, hold_until, hold_error FROM credential_budgets WHERE {IdIsOneOf("credential_id", "@ids")} AND hold_until > @now";

    private string? _holdsSql;

    /// <summary>The holds on <paramref name="credentials"/> that last beyond <paramref name="now"/>.</summary>
    private async Task<Dictionary<Guid, (DateTimeOffset Until, string? Error)>> ReadHoldsAsync(StoreConnection connection,
        DbTransaction tx, SortedSet<Guid> credentials, DateTimeOffset now, CancellationToken ct)
    {
        var command = Command(connection, tx, HoldsSql, ("@ids", IdSetParameter(credentials)), ("@now", Ms(now)));
        var holds = new Dictionary<Guid, (DateTimeOffset Until, string? Error)>();
        foreach (var (credential, until, error) in await ReadAllAsync(command, r => (ReadId(r, 0), Time(r, 1), NullableString(r, 2)), ct))
        {
            holds[credential] = (until, error);
        }
        return holds;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max,
        Func<SyncSnapshot, SyncChange<SyncRun?>> decide, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(decide);
        return DispatchAsync(now, max, static _ => int.MaxValue, (snapshot, _) => decide(snapshot), ct);
    }

    /// <inheritdoc />
    public async Task<bool> RenewLeaseAsync(Guid syncId, Guid runId, int attempt, DateTimeOffset leaseExpiresAt,
        CancellationToken ct = default)
    {
        using var turn = await EnterWriteKeepingClaimedRowsAsync(ct);
        ForgetClaimedRow(syncId);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        // One row and no other lock: it cannot deadlock with the Sync-first writers. The run is kept on its Sync's row
        // (RelationalSyncStore.RowRuns) or has a row of its own.
        var renewed = await ExecuteAsync(connection, tx,
            "UPDATE syncs SET row_run_lease_expires_at = @lease_expires_at " +
            "WHERE id = @sync_id AND row_run_id = @id AND row_run_attempt = @attempt", ct,
            ("@lease_expires_at", Ms(leaseExpiresAt)), ("@sync_id", IdParameter(syncId)), ("@id", IdParameter(runId)), ("@attempt", attempt));
        if (renewed == 0)
        {
            renewed = await ExecuteAsync(connection, tx,
                "UPDATE sync_runs SET lease_expires_at = @lease_expires_at " +
                "WHERE id = @id AND sync_id = @sync_id AND state = " + SqlLiterals.Running + " AND attempt = @attempt", ct,
                ("@lease_expires_at", Ms(leaseExpiresAt)), ("@id", IdParameter(runId)), ("@sync_id", IdParameter(syncId)), ("@attempt", attempt));
        }
        await CommitAsync(connection, tx);
        return renewed == 1;
    }
}
