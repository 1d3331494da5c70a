namespace GrpcSync.Domain;

/// <summary>A Sync as read inside a write transaction, with its open (queued or running) runs.</summary>
public sealed record SyncSnapshot(Sync Sync, IReadOnlyList<SyncRun> OpenRuns)
{
    public SyncRun? PendingRun => OpenRuns.Where(r => r.State == RunState.Queued).MinBy(r => r.DueAt);
    public SyncRun? RunningRun => OpenRuns.FirstOrDefault(r => r.State == RunState.Running);
}
