using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>RunRules.Trigger (TriggerSync) and RunRules.Cancel (CancelSyncRun).</summary>
public class RunRulesTriggerAndCancelTests
{
    [Theory]
    [InlineData(RunType.Incremental)]
    [InlineData(RunType.Full)]
    public void Trigger_QueuesAManualRunDueNow(RunType type)
    {
        var change = RunRules.Trigger(Snapshot(IdleSync()), type, Now);

        var run = Assert.Single(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.Same(run, change.Result);
        Assert.Equal(type, run.Type);
        Assert.Equal(RunTrigger.Manual, run.Trigger);
        Assert.Equal(RunState.Queued, run.State);
        Assert.Equal(Now, run.DueAt);
        Assert.Equal(Now, run.CreatedAt);
        Assert.Equal(0, run.Attempt);
        Assert.Equal(SyncId, run.SyncId);
        Assert.Equal(6, change.NewSync!.Version);
        Assert.Equal(SyncStatus.Idle, change.NewSync.Status);
    }

    [Theory]
    [InlineData(RunState.Queued)]
    [InlineData(RunState.Running)]
    public void Trigger_WithAnOpenRunOfTheSameType_AnswersThatRun(RunState state)
    {
        var open = Run(RunType.Full, RunTrigger.Periodic, state);

        var change = RunRules.Trigger(Snapshot(IdleSync(), open), RunType.Full, Now);

        Assert.Same(open, change.Result);
        Assert.Null(change.NewSync);
        Assert.Empty(change.RunsToInsert);
    }

    [Fact]
    public void Trigger_WithAnOpenRunOfAnotherType_QueuesItsOwn()
    {
        var change = RunRules.Trigger(Snapshot(IdleSync(), Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running)), RunType.Full, Now);

        Assert.Equal(RunType.Full, Assert.Single(change.RunsToInsert).Type);
    }

    [Fact]
    public void Trigger_AnInitialRun_IsInvalid()
    {
        var ex = Assert.Throws<DomainException>(() => RunRules.Trigger(Snapshot(IdleSync()), RunType.Initial, Now));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal("type", Assert.Single(ex.Violations).Field);
    }

    [Theory]
    [InlineData(SyncStatus.Disabled, "The Sync is DISABLED; re-enable it before triggering runs.")]
    [InlineData(SyncStatus.Errored, "The Sync is ERRORED; re-enable it before triggering runs.")]
    public void Trigger_OnAStoppedSync_IsSyncStopped(SyncStatus stopped, string message)
    {
        var ex = Assert.Throws<DomainException>(() => RunRules.Trigger(Snapshot(IdleSync() with { Status = stopped }), RunType.Full, Now));

        Assert.Equal(ErrorKind.FailedPrecondition, ex.Kind);
        Assert.Equal("SYNC_STOPPED", ex.Reason);
        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData(SyncStatus.Active, true, SyncStatus.Idle)]
    [InlineData(SyncStatus.RateLimited, true, SyncStatus.Idle)]
    [InlineData(SyncStatus.Active, false, SyncStatus.Initializing)]
    public void Cancel_TheRunningRun_EndsItAndTheSyncWaits(SyncStatus before, bool hasSynced, SyncStatus after)
    {
        var sync = IdleSync() with { Status = before, LastSyncedAt = hasSynced ? Now.AddHours(-1) : null };
        var running = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running) with { LeaseOwner = "replica-1", LeaseExpiresAt = Now.AddSeconds(20) };

        var change = RunRules.Cancel(Snapshot(sync, running), running.Id, Now);

        var cancelled = Assert.Single(change.RunsToUpdate);
        Assert.Same(cancelled, change.Result);
        Assert.Equal(running.Id, cancelled.Id);
        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Equal(Now, cancelled.FinishedAt);
        Assert.Equal("Cancelled by request.", cancelled.Error);
        Assert.Null(cancelled.LeaseOwner);
        Assert.Null(cancelled.LeaseExpiresAt);
        Assert.Empty(change.RunsToInsert);
        Assert.Equal(after, change.NewSync!.Status);
        Assert.Equal(6, change.NewSync.Version);
        Assert.Equal(Now, change.NewSync.UpdatedAt);
    }

    [Fact]
    public void Cancel_AQueuedRun_LeavesTheSyncsStatus()
    {
        var queued = Run(RunType.Full, RunTrigger.Manual, RunState.Queued);

        var change = RunRules.Cancel(Snapshot(IdleSync() with { Status = SyncStatus.Active }, queued), queued.Id, Now);

        Assert.Equal(RunState.Cancelled, Assert.Single(change.RunsToUpdate).State);
        Assert.Equal(SyncStatus.Active, change.NewSync!.Status);
    }

    [Fact]
    public void Cancel_ARunOfAStoppedSync_LeavesItStopped()
    {
        var running = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running);

        var change = RunRules.Cancel(Snapshot(IdleSync() with { Status = SyncStatus.Errored }, running), running.Id, Now);

        Assert.Equal(SyncStatus.Errored, change.NewSync!.Status);
    }

    [Fact]
    public void Cancel_ARunThatIsNotOpen_IsRunNotOpen()
    {
        var runId = new Guid("99999999-0000-4000-8000-000000000009");

        var ex = Assert.Throws<DomainException>(() => RunRules.Cancel(Snapshot(IdleSync()), runId, Now));

        Assert.Equal(ErrorKind.FailedPrecondition, ex.Kind);
        Assert.Equal("RUN_NOT_OPEN", ex.Reason);
        Assert.Equal("Run 99999999-0000-4000-8000-000000000009 is not queued or running (finished runs cannot be cancelled).", ex.Message);
    }
}
