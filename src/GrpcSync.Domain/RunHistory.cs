namespace GrpcSync.Domain;

/// <summary>
/// Run history that stays bounded (pure rules; the store applies them). A Sync on <c>1m</c> runs 1,440 times a day and
/// most runs change nothing, so consecutive scheduled INCREMENTAL runs that succeeded without changing a record
/// collapse into one history entry: the first such run's row, with <see cref="SyncRun.CollapsedRuns"/> counting them and
/// <see cref="SyncRun.LastStartedAt"/> the latest start. Every other run keeps its own entry and ends a streak, so a run
/// with changes after a streak starts a new entry. Retention (<see cref="KeptPerSync"/>) removes what is left old.
/// </summary>
public static class RunHistory
{
    /// <summary>Retention never deletes a Sync's newest entries, however old: the last this many are always kept.</summary>
    public const int KeptPerSync = 20;

    /// <summary>
    /// Whether the run, ending with <paramref name="outcome"/> after changing <paramref name="counts"/> (null: not
    /// known, which never collapses), may collapse into the Sync's previous entry: a scheduled INCREMENTAL run that
    /// succeeded and created, updated and deleted nothing.
    /// </summary>
    public static bool ChangedNothing(SyncRun run, RunOutcome outcome, RunCounts? counts) =>
        outcome is RunOutcome.Succeeded
        && run.Type == RunType.Incremental
        && run.Trigger == RunTrigger.Schedule
        && counts is { Created: 0, Updated: 0, Deleted: 0 };

    /// <summary>
    /// The finished no-change <paramref name="run"/> as an entry: a collapsed entry of one, which the next such run
    /// may join.
    /// </summary>
    public static SyncRun AsStreakOfOne(SyncRun run) => run with { CollapsedRuns = 1, LastStartedAt = run.StartedAt };

    /// <summary>
    /// Folds <paramref name="finished"/> (a collapsed entry of one, <see cref="AsStreakOfOne"/>) into
    /// <paramref name="previous"/>, the Sync's entry just before it: the updated previous entry when that is a collapsed
    /// entry that has ended, else null (the finished run keeps its own entry, starting a new streak). The entry keeps
    /// its id, creation and first start; count, last start and end move on.
    /// </summary>
    public static SyncRun? Fold(SyncRun? previous, SyncRun finished)
    {
        if (finished.CollapsedRuns != 1 || finished.State != RunState.Succeeded)
        {
            throw new ArgumentException("Only a finished run that changed nothing folds into the history.", nameof(finished));
        }
        if (previous is not { CollapsedRuns: { } count, State: RunState.Succeeded } || previous.SyncId != finished.SyncId)
        {
            return null;
        }
        return previous with
        {
            CollapsedRuns = count + 1,
            LastStartedAt = finished.StartedAt,
            FinishedAt = finished.FinishedAt,
        };
    }

    /// <summary>
    /// Whether <paramref name="entry"/> stands for the run <paramref name="runId"/> that was folded into it: a collapsed
    /// entry of more than one run whose span (its creation to its last start) holds the run's creation time, which its
    /// UUIDv7 id carries. GetSyncRun answers such a folded run's id with its entry.
    /// </summary>
    public static bool Covers(SyncRun entry, Guid runId) =>
        entry.CollapsedRuns > 1
        && entry.LastStartedAt is { } last
        && RunIds.CreatedAt(runId) is { } created
        && created >= entry.CreatedAt.ToUnixTimeMilliseconds()
        && created <= last.ToUnixTimeMilliseconds();
}
