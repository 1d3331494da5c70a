using System.Data.Common;
using System.Globalization;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// Run history that stays bounded: a no-change run folded into the Sync's collapsed entry (one UPDATE of that entry,
/// the run's own row deleted), a folded run's id answered by its entry, and retention in bounded steps.
/// </summary>
public abstract partial class RelationalSyncStore : IRunHistoryStore
{
    /// <summary>The Sync's history entry just before a position (created_at, id), newest first.</summary>
    private const string EntryBeforeSql =
        $"SELECT {RunColumns} FROM sync_runs WHERE sync_id = @sync_id AND (created_at, id) < (@created_at, @id) " +
        "ORDER BY created_at DESC, id DESC LIMIT 1";

    /// <summary>
    /// The fold's write: only the collapsed entry's count, last start and end (no indexed column, so only its table
    /// page is rewritten). Matches only while the entry still has the count read (under the Sync's row lock).
    /// </summary>
    private const string FoldEntrySql =
        "UPDATE sync_runs SET collapsed_runs = @collapsed_runs, last_started_at = @last_started_at, finished_at = @finished_at " +
        "WHERE id = @id AND sync_id = @sync_id AND collapsed_runs = @previous_count";

    private const string DeleteFoldedRunSql = "DELETE FROM sync_runs WHERE id = @id AND sync_id = @sync_id";

    /// <summary>
    /// Plans <paramref name="finished"/> (a no-change run, <see cref="RunHistory.AsStreakOfOne"/>) folded into the
    /// Sync's previous entry when <see cref="RunHistory.Fold"/> allows it; false (nothing planned) when the run keeps
    /// its own entry. Read under the Sync's row lock, which every writer of its runs takes first. <paramref name="ownRow"/>:
    /// the run has a row in sync_runs, which goes (a run kept on its Sync's row has none).
    /// </summary>
    private async Task<bool> PlanFoldAsync(StoreConnection connection, DbTransaction tx, Guid syncId, SyncRun finished,
        bool ownRow, List<Write> writes, CancellationToken ct)
    {
        var command = Command(connection, tx, EntryBeforeSql, ("@sync_id", IdParameter(syncId)),
            ("@created_at", Ms(finished.CreatedAt)), ("@id", IdParameter(finished.Id)));
        var previous = (await ReadAllAsync(command, ReadRun, ct)).FirstOrDefault();
        if (RunHistory.Fold(previous, finished with { SyncId = syncId }) is not { } entry)
        {
            return false;
        }
        writes.Add(new Write(FoldEntrySql,
            [
                ("@id", IdParameter(entry.Id)), ("@sync_id", IdParameter(syncId)), ("@collapsed_runs", entry.CollapsedRuns),
                ("@last_started_at", Ms(entry.LastStartedAt)), ("@finished_at", Ms(entry.FinishedAt)),
                ("@previous_count", previous!.CollapsedRuns),
            ],
            $"History entry {entry.Id} of Sync {syncId} changed while its Sync was locked."));
        if (!ownRow)
        {
            return true;
        }
        writes.Add(new Write(DeleteFoldedRunSql, [("@id", IdParameter(finished.Id)), ("@sync_id", IdParameter(syncId))],
            $"Run {finished.Id} of Sync {syncId} does not exist; it cannot be folded into its history."));
        return true;
    }

    /// <summary>
    /// A run id that is not stored any more because its run was folded into a collapsed entry: that entry, found as the
    /// Sync's entry just before the id's creation time (its UUIDv7 carries it) and checked to span it; else null.
    /// </summary>
    private async Task<SyncRun?> FindFoldingEntryAsync(StoreConnection connection, DbTransaction tx, Guid syncId, Guid runId,
        RowStreak? streak, CancellationToken ct)
    {
        if (RunIds.CreatedAt(runId) is not { } createdMs)
        {
            return null;
        }
        var command = Command(connection, tx, EntryBeforeSql, ("@sync_id", IdParameter(syncId)),
            ("@created_at", createdMs), ("@id", IdParameter(runId)));
        var stored = (await ReadAllAsync(command, ReadRun, ct)).FirstOrDefault();
        var entry = stored is null ? null : WithRowState(stored, streak);
        return entry is not null && RunHistory.Covers(entry, runId) ? entry : null;
    }

    /// <summary>
    /// Each candidate entry with whether it may go: ended, last started before the cutoff, and with at least
    /// <see cref="RunHistory.KeptPerSync"/> newer entries of its Sync (counted through ix_sync_runs_sync_created,
    /// at most that many read). Candidates come from the primary key in id order (UUIDv7: creation order).
    /// </summary>
    private static readonly string TrimCandidatesSql =
        "SELECT r.id, CASE WHEN r.state IN " + SqlLiterals.OpenRunStates + " OR COALESCE(r.last_started_at, r.created_at) >= @cutoff_ms THEN 0 " +
        "WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM sync_runs n WHERE n.sync_id = r.sync_id AND (n.created_at, n.id) > (r.created_at, r.id) " +
        $"LIMIT {RunHistory.KeptPerSync.ToString(CultureInfo.InvariantCulture)}) newer) = {RunHistory.KeptPerSync.ToString(CultureInfo.InvariantCulture)} " +
        "THEN 1 ELSE 0 END FROM sync_runs r WHERE r.id > @after AND r.id < @boundary ORDER BY r.id LIMIT @max";

    /// <inheritdoc />
    /// <remarks>
    /// One short write transaction: the candidates read (at most <paramref name="max"/>) and the deletable ones deleted by
    /// id, the deletion re-checking that each has ended and is old (a fold may have moved an entry's last start).
    /// </remarks>
    public async Task<RunTrimStep> TrimRunHistoryAsync(DateTimeOffset cutoff, Guid? after, int max, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        using var turn = await EnterWriteAsync(ct);
        await using var connection = await OpenConnectionAsync(ct);
        await using var tx = await BeginWriteAsync(connection.Connection, ct);
        var cutoffMs = Ms(cutoff);
        var candidates = await ReadAllAsync(
            Command(connection, tx, TrimCandidatesSql, ("@cutoff_ms", cutoffMs), ("@after", IdParameter(after ?? Guid.Empty)),
                ("@boundary", IdParameter(EventIds.LowestAt(cutoff))), ("@max", max)),
            r => (Id: ReadId(r, 0), Deletable: Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture) == 1),
            ct);
        var deletable = candidates.Where(c => c.Deletable).Select(c => c.Id).ToList();
        var deleted = 0;
        foreach (var chunk in deletable.Chunk(InListChunk))
        {
            var parameters = chunk.Select((id, n) => ("@d" + n.ToString(CultureInfo.InvariantCulture), (object?)IdParameter(id)))
                .Append(("@cutoff_ms", cutoffMs)).ToArray();
            deleted += await OneOffCommand(connection, tx,
                $"DELETE FROM sync_runs WHERE id IN ({InList("@d", chunk.Length)}) AND NOT {OpenStates} " +
                "AND COALESCE(last_started_at, created_at) < @cutoff_ms", parameters).ExecuteNonQueryAsync(ct);
        }
        await CommitAsync(connection, tx);
        return new RunTrimStep(candidates.Count, deleted, candidates.Count < max ? null : candidates[^1].Id);
    }
}
