using System.Data.Common;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// Rate budgets shared per credential (<c>credential_budgets</c>): the source's hold on a credential, written by the
/// change of the run it throttled, and the "every slot taken" mark the dispatcher writes and any run end on the
/// credential clears. A credential that was never throttled or full has no row, and the statements below then touch
/// nothing: the common case pays one primary-key probe per candidate and nothing per finish but a zero-row update.
/// </summary>
public abstract partial class RelationalSyncStore
{
    /// <summary>Keeps the later hold: a run that was throttled after another must not shorten the wait.</summary>
    private const string UpsertHoldSql =
        "INSERT INTO credential_budgets (credential_id, hold_until, hold_error) VALUES (@credential_id, @hold_until, @hold_error) " +
        "ON CONFLICT (credential_id) DO UPDATE SET " +
        "hold_error = CASE WHEN credential_budgets.hold_until IS NULL OR excluded.hold_until > credential_budgets.hold_until " +
        "THEN excluded.hold_error ELSE credential_budgets.hold_error END, " +
        "hold_until = CASE WHEN credential_budgets.hold_until IS NULL OR excluded.hold_until > credential_budgets.hold_until " +
        "THEN excluded.hold_until ELSE credential_budgets.hold_until END";

    private const string MarkBusySql =
        "INSERT INTO credential_budgets (credential_id, busy_until) VALUES (@credential_id, @busy_until) " +
        "ON CONFLICT (credential_id) DO UPDATE SET busy_until = excluded.busy_until";

    /// <summary>Affects no row unless the credential was marked: no row lock and no new row version in the common case.</summary>
    private const string ClearBusySql =
        "UPDATE credential_budgets SET busy_until = NULL WHERE credential_id = @credential_id AND busy_until IS NOT NULL";

    /// <summary>
    /// RUNNING runs under a live lease, per credential, with the earliest lease end (when a slot frees at the latest
    /// if the worker died). Read by the running-lease index: O(runs running), whatever the number of Syncs.
    /// </summary>
    private const string RunningPerCredentialSql =
        "SELECT credential_id, COUNT(*), MIN(lease) FROM (" +
        "SELECT s.credential_id, r.lease_expires_at AS lease FROM sync_runs r JOIN syncs s ON s.id = r.sync_id " +
        "WHERE r.state = " + SqlLiterals.Running + " AND r.lease_expires_at > @now AND s.credential_id IS NOT NULL " +
        // Runs kept on their Sync's row, by ix_syncs_row_run_lease.
        "UNION ALL SELECT s.credential_id, s.row_run_lease_expires_at FROM syncs s " +
        "WHERE s.row_run_id IS NOT NULL AND s.row_run_lease_expires_at > @now AND s.credential_id IS NOT NULL" +
        ") running GROUP BY credential_id";

    /// <summary>
    /// The condition a dispatch candidate (a Sync aliased <paramref name="sync"/>) meets unless its credential is marked
    /// full: its Syncs leave the candidate set until a run on it ends or the mark runs out, so a credential with many
    /// waiting Syncs cannot fill every round with Syncs that cannot start.
    /// </summary>
    private static string CredentialNotBusy(string sync) =>
        $"AND NOT EXISTS (SELECT 1 FROM credential_budgets b WHERE b.credential_id = {sync}.credential_id AND b.busy_until > @now) ";

    /// <summary>
    /// Serialises dispatchers per credential for the rest of the transaction, so that two replicas cannot both see a
    /// free slot and both take it. <paramref name="credentialIds"/> are sorted: every dispatcher takes them in one
    /// order. SQLite has nothing to do (BEGIN IMMEDIATE: one writer at a time).
    /// </summary>
    private protected virtual Task LockCredentialsForDispatchAsync(StoreConnection connection, DbTransaction tx,
        IReadOnlyList<Guid> credentialIds, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Running runs under a live lease per credential, read after <see cref="LockCredentialsForDispatchAsync"/>.</summary>
    private async Task<Dictionary<Guid, (int Running, DateTimeOffset EarliestLease)>> ReadRunningPerCredentialAsync(
        StoreConnection connection, DbTransaction tx, DateTimeOffset now, CancellationToken ct)
    {
        var rows = await ReadAllAsync(Command(connection, tx, RunningPerCredentialSql, ("@now", Ms(now))),
            r => (Credential: ReadId(r, 0), Running: Convert.ToInt32(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture),
                EarliestLease: Time(r, 2)), ct);
        return rows.ToDictionary(r => r.Credential, r => (r.Running, r.EarliestLease));
    }

    /// <summary>
    /// The budget writes a change implies: its <see cref="SyncChange{T}.CredentialHold"/>, and, when it ends a RUNNING
    /// run of a Sync with a credential (finished, queued again, cancelled, disabled), the clearing of that credential's
    /// full mark, so its waiting Syncs are candidates again in the next round.
    /// </summary>
    private void PlanBudgetWrites<T>(SyncSnapshot before, SyncChange<T> change, bool endedRunsFreeSlots, List<Write> writes)
    {
        if (change.CredentialHold is { } hold)
        {
            writes.Add(new Write(UpsertHoldSql,
                [("@credential_id", IdParameter(hold.CredentialId)), ("@hold_until", Ms(hold.Until)), ("@hold_error", hold.Error)],
                $"The hold on credential {hold.CredentialId} could not be written.", hold.CredentialId));
        }
        if (endedRunsFreeSlots && before.Sync.CredentialId is { } credentialId && change.RunsToUpdate.Count > 0
            && before.OpenRuns.Any(r => r.State == RunState.Running
                && change.RunsToUpdate.Any(u => u.Id == r.Id && u.State != RunState.Running)))
        {
            writes.Add(new Write(ClearBusySql, [("@credential_id", IdParameter(credentialId))], null, credentialId));
        }
    }

    /// <summary>Marks full credentials (sorted, after the round's other writes) until the given time.</summary>
    private async Task MarkBusyAsync(StoreConnection connection, DbTransaction tx, SortedDictionary<Guid, DateTimeOffset> busy,
        CancellationToken ct)
    {
        foreach (var (credentialId, until) in busy)
        {
            await ExecuteAsync(connection, tx, MarkBusySql, ct, ("@credential_id", IdParameter(credentialId)), ("@busy_until", Ms(until)));
        }
    }
}
