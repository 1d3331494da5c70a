namespace GrpcSync.Domain;

/// <summary>
/// What a domain decision wants written, atomically: the new Sync (null = leave it as it is),
/// runs to add, runs whose state changes, and the events the change implies (appended to the Sync's
/// log in the same transaction). <typeparamref name="T"/> is the decision's answer.
/// </summary>
public sealed record SyncChange<T>(Sync? NewSync, IReadOnlyList<SyncRun> RunsToInsert, IReadOnlyList<SyncRun> RunsToUpdate, T Result)
{
    /// <summary>The events to log with this change, in order (empty: nothing worth announcing).</summary>
    public IReadOnlyList<SyncEvent> Events { get; init; } = [];

    /// <summary>A throttle to put on the Sync's credential with this change (null: none), shared by every Sync on it.</summary>
    public CredentialHold? CredentialHold { get; init; }

    /// <summary>
    /// A finished run that changed nothing (also in <see cref="RunsToUpdate"/>, as a collapsed entry of one): the store
    /// folds it into the Sync's previous history entry when that is a collapsed entry (<see cref="RunHistory.Fold"/>),
    /// updating that entry and deleting the run's own row; otherwise the run stays, starting a new collapsed entry.
    /// </summary>
    public SyncRun? FoldIntoHistory { get; init; }

    public static SyncChange<T> Nothing(T result) => new(null, [], [], result);
}
