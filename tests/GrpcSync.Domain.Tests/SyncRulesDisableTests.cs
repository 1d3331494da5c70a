using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

public class SyncRulesDisableTests
{
    private static Sync ActiveSync() => IdleSync() with { Status = SyncStatus.Active, RateLimitBackoffMs = 5000 };

    [Fact]
    public void Disable_StopsTheSchedule()
    {
        var change = SyncRules.Disable(Snapshot(ActiveSync()), Now);

        Assert.NotNull(change.NewSync);
        Assert.Equal(SyncStatus.Disabled, change.NewSync.Status);
        Assert.Null(change.NewSync.NextRunAt);
        Assert.Null(change.NewSync.RateLimitBackoffMs);
        Assert.Equal(6, change.NewSync.Version);
        Assert.Equal(Now, change.NewSync.UpdatedAt);
        Assert.Same(change.NewSync, change.Result);
    }

    [Fact]
    public void Disable_KeepsCredentialFrequencyAndProgress()
    {
        var sync = ActiveSync() with { Frequency = "3h", LatestRecordSequence = 9, LastSyncedAt = Now.AddMinutes(-1) };

        var change = SyncRules.Disable(Snapshot(sync), Now);

        Assert.Equal(CredentialA, change.NewSync!.CredentialId);
        Assert.Equal("3h", change.NewSync.Frequency);
        Assert.Equal(9, change.NewSync.LatestRecordSequence);
        Assert.Equal(Now.AddMinutes(-1), change.NewSync.LastSyncedAt);
    }

    [Fact]
    public void Disable_CancelsQueuedAndRunningRuns()
    {
        var queued = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Queued);
        var running = Run(RunType.Initial, RunTrigger.Enable, RunState.Running);

        var change = SyncRules.Disable(Snapshot(ActiveSync(), queued, running), Now);

        Assert.Equal(2, change.RunsToUpdate.Count);
        Assert.Equal(new[] { queued.Id, running.Id }.Order(), change.RunsToUpdate.Select(r => r.Id).Order());
        Assert.All(change.RunsToUpdate, r =>
        {
            Assert.Equal(RunState.Cancelled, r.State);
            Assert.Equal(Now, r.FinishedAt);
            Assert.False(r.IsOpen);
        });
        Assert.Empty(change.RunsToInsert);
    }

    [Fact]
    public void Disable_CancelledRunsKeepTheirOtherFields()
    {
        var running = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running);

        var change = SyncRules.Disable(Snapshot(ActiveSync(), running), Now);

        var cancelled = Assert.Single(change.RunsToUpdate);
        Assert.Equal(running.StartedAt, cancelled.StartedAt);
        Assert.Equal(1, cancelled.Attempt);
        Assert.Equal(RunType.Incremental, cancelled.Type);
        Assert.Equal(SyncId, cancelled.SyncId);
    }

    [Fact]
    public void Disable_QueuedCredentialChangeFullRun_SurvivesWhileOtherRunsAreCancelled()
    {
        var reconcile = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Queued);
        var incremental = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Queued);

        var change = SyncRules.Disable(Snapshot(ActiveSync(), reconcile, incremental), Now);

        var cancelled = Assert.Single(change.RunsToUpdate);
        Assert.Equal(incremental.Id, cancelled.Id);
        Assert.Empty(change.RunsToInsert);
    }

    [Fact]
    public void Disable_QueuedFullRunWithAnotherTrigger_IsCancelled()
    {
        var manualFull = Run(RunType.Full, RunTrigger.Manual, RunState.Queued);

        var change = SyncRules.Disable(Snapshot(ActiveSync(), manualFull), Now);

        var cancelled = Assert.Single(change.RunsToUpdate);
        Assert.Equal(manualFull.Id, cancelled.Id);
        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Empty(change.RunsToInsert);
    }

    [Fact]
    public void Disable_RunningCredentialChangeFullRun_IsCancelledAndQueuedAgain()
    {
        var running = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Running);

        var change = SyncRules.Disable(Snapshot(ActiveSync(), running), Now);

        var cancelled = Assert.Single(change.RunsToUpdate);
        Assert.Equal(running.Id, cancelled.Id);
        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Equal(Now, cancelled.FinishedAt);

        var requeued = Assert.Single(change.RunsToInsert);
        Assert.NotEqual(running.Id, requeued.Id);
        Assert.Equal(RunType.Full, requeued.Type);
        Assert.Equal(RunTrigger.CredentialChange, requeued.Trigger);
        Assert.Equal(RunState.Queued, requeued.State);
        Assert.Equal(SyncId, requeued.SyncId);
        Assert.Equal(Now, requeued.DueAt);
    }

    [Fact]
    public void Disable_RunningAndQueuedCredentialChangeRuns_CancelsTheRunningOneWithoutQueuingAnother()
    {
        var running = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Running);
        var queued = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Queued);

        var change = SyncRules.Disable(Snapshot(ActiveSync(), running, queued), Now);

        var cancelled = Assert.Single(change.RunsToUpdate);
        Assert.Equal(running.Id, cancelled.Id);
        Assert.Empty(change.RunsToInsert);
    }

    [Fact]
    public void Disable_ErroredSync_BecomesDisabled()
    {
        var sync = IdleSync() with { Status = SyncStatus.Errored, NextRunAt = null, Reason = "boom" };

        var change = SyncRules.Disable(Snapshot(sync), Now);

        Assert.Equal(SyncStatus.Disabled, change.NewSync!.Status);
        Assert.Equal(6, change.NewSync.Version);
    }

    [Fact]
    public void Disable_Twice_IsNothing()
    {
        var first = SyncRules.Disable(Snapshot(ActiveSync()), Now);
        var disabled = first.NewSync!;
        var survivor = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Queued);

        var second = SyncRules.Disable(Snapshot(disabled, survivor), Now.AddMinutes(1));

        Assert.Null(second.NewSync);
        Assert.Empty(second.RunsToInsert);
        Assert.Empty(second.RunsToUpdate);
        Assert.Same(disabled, second.Result);
        Assert.Equal(6, second.Result.Version);
    }
}
