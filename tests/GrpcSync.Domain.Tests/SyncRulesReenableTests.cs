using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

public class SyncRulesReenableTests
{
    private static Sync DisabledSync(DateTimeOffset? lastSyncedAt) => IdleSync() with
    {
        Status = SyncStatus.Disabled,
        NextRunAt = null,
        LastSyncedAt = lastSyncedAt,
        Reason = "Disabled by the user.",
        RateLimitBackoffMs = 1000,
    };

    [Fact]
    public void Reenable_DisabledSyncThatHasSynced_BecomesIdleWithARunDueNow()
    {
        var change = SyncRules.Reenable(Snapshot(DisabledSync(Now.AddDays(-1))), Now);

        Assert.NotNull(change.NewSync);
        Assert.Equal(SyncStatus.Idle, change.NewSync.Status);
        Assert.Equal(Now, change.NewSync.NextRunAt);
        Assert.Null(change.NewSync.Reason);
        Assert.Null(change.NewSync.RateLimitBackoffMs);
        Assert.Equal(6, change.NewSync.Version);
        Assert.Equal(Now, change.NewSync.UpdatedAt);
        Assert.Equal(Now.AddDays(-1), change.NewSync.LastSyncedAt);
        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.Same(change.NewSync, change.Result);
    }

    [Fact]
    public void Reenable_DisabledSyncNeverSynced_BecomesInitializingAndQueuesAnInitialRun()
    {
        var change = SyncRules.Reenable(Snapshot(DisabledSync(null)), Now);

        Assert.Equal(SyncStatus.Initializing, change.NewSync!.Status);
        Assert.Equal(Now, change.NewSync.NextRunAt);
        Assert.Null(change.NewSync.Reason);
        var run = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunType.Initial, run.Type);
        Assert.Equal(RunTrigger.Enable, run.Trigger);
        Assert.Equal(RunState.Queued, run.State);
        Assert.Equal(SyncId, run.SyncId);
        Assert.Equal(Now, run.DueAt);
        Assert.Empty(change.RunsToUpdate);
    }

    [Theory]
    [InlineData(RunState.Queued)]
    [InlineData(RunState.Running)]
    public void Reenable_NeverSyncedWithAnOpenInitialRun_DoesNotQueueAnother(RunState state)
    {
        var open = Run(RunType.Initial, RunTrigger.Enable, state);

        var change = SyncRules.Reenable(Snapshot(DisabledSync(null), open), Now);

        Assert.Equal(SyncStatus.Initializing, change.NewSync!.Status);
        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
    }

    [Fact]
    public void Reenable_NeverSyncedWithOnlyAQueuedCredentialChangeRun_StillQueuesAnInitialRun()
    {
        var reconcile = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Queued);

        var change = SyncRules.Reenable(Snapshot(DisabledSync(null), reconcile), Now);

        var run = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunType.Initial, run.Type);
    }

    [Fact]
    public void Reenable_ErroredSync_ClearsTheReasonAndResumes()
    {
        var sync = IdleSync() with
        {
            Status = SyncStatus.Errored,
            NextRunAt = null,
            Reason = "Credential ID [aaaaaaaa-0000-4000-8000-000000000001] is no longer valid or has been deleted.",
        };

        var change = SyncRules.Reenable(Snapshot(sync), Now);

        Assert.Equal(SyncStatus.Idle, change.NewSync!.Status);
        Assert.Null(change.NewSync.Reason);
        Assert.Equal(Now, change.NewSync.NextRunAt);
        Assert.Equal(6, change.NewSync.Version);
    }

    [Theory]
    [InlineData(SyncStatus.Idle)]
    [InlineData(SyncStatus.Initializing)]
    [InlineData(SyncStatus.Active)]
    [InlineData(SyncStatus.RateLimited)]
    public void Reenable_SyncThatIsNotStopped_IsNothing(SyncStatus status)
    {
        var sync = IdleSync() with { Status = status, LastSyncedAt = null };

        var change = SyncRules.Reenable(Snapshot(sync), Now);

        Assert.Null(change.NewSync);
        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.Same(sync, change.Result);
        Assert.Equal(5, change.Result.Version);
    }
}
