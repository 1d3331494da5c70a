namespace GrpcSync.Domain;

/// <summary>A Sync as read inside a write transaction, with its open (queued or running) runs.</summary>
public sealed record SyncSnapshot(Sync Sync, IReadOnlyList<SyncRun> OpenRuns)
{
    public SyncRun? PendingRun => OpenRuns.Where(r => r.State == RunState.Queued).MinBy(r => r.DueAt);
    public SyncRun? RunningRun => OpenRuns.FirstOrDefault(r => r.State == RunState.Running);
}

/// <summary>
/// What a domain decision wants written, atomically: the new Sync (null = leave it as it is),
/// runs to add, and runs whose state changes. <typeparamref name="T"/> is the decision's answer.
/// </summary>
public sealed record SyncChange<T>(Sync? NewSync, IReadOnlyList<SyncRun> RunsToInsert, IReadOnlyList<SyncRun> RunsToUpdate, T Result)
{
    public static SyncChange<T> Nothing(T result) => new(null, [], [], result);
}
