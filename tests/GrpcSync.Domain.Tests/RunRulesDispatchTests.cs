using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>RunRules.Dispatch: which run of a Sync starts at "now", if any, and how the Sync's schedule moves.</summary>
public class RunRulesDispatchTests
{
    private const string Owner = "replica-1";
    private static readonly RunPolicy Policy = new(); // lease 30 s, full re-sync every 24 h

    /// <summary>An IDLE Sync whose scheduled run time is now; its last full sync was an hour ago.</summary>
    private static Sync DueSync() => IdleSync() with { NextRunAt = Now, LastFullSyncAt = Now.AddHours(-1), RateLimitBackoffMs = 1000 };

    private static SyncRun Queued(RunType type, RunTrigger trigger, DateTimeOffset dueAt, DateTimeOffset? createdAt = null) =>
        Run(type, trigger, RunState.Queued) with { DueAt = dueAt, CreatedAt = createdAt ?? dueAt };

    private static SyncRun Running(DateTimeOffset leaseExpiresAt) =>
        Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running) with { LeaseOwner = "replica-0", LeaseExpiresAt = leaseExpiresAt };

    private static void AssertNothing(SyncChange<SyncRun?> change)
    {
        Assert.Null(change.NewSync);
        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.Null(change.Result);
    }

    [Fact]
    public void BeforeTheScheduledTime_NothingStarts() =>
        AssertNothing(RunRules.Dispatch(Snapshot(IdleSync()), Now, Owner, Policy)); // next run at Now + 30 s

    [Fact]
    public void WithoutAPlannedRun_NothingStarts() =>
        AssertNothing(RunRules.Dispatch(Snapshot(DueSync() with { NextRunAt = null }), Now, Owner, Policy));

    [Theory]
    [InlineData(SyncStatus.Disabled)]
    [InlineData(SyncStatus.Errored)]
    public void AStoppedSync_StartsNothing_EvenWithADueRun(SyncStatus stopped) =>
        AssertNothing(RunRules.Dispatch(
            Snapshot(DueSync() with { Status = stopped }, Queued(RunType.Full, RunTrigger.CredentialChange, Now.AddMinutes(-1))), Now, Owner, Policy));

    [Fact]
    public void TheScheduledTime_InsertsAndStartsOneIncrementalRun()
    {
        var change = RunRules.Dispatch(Snapshot(DueSync()), Now, Owner, Policy);

        var run = Assert.Single(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.Same(run, change.Result);
        Assert.Equal(SyncId, run.SyncId);
        Assert.Equal(RunType.Incremental, run.Type);
        Assert.Equal(RunTrigger.Schedule, run.Trigger);
        Assert.Equal(RunState.Running, run.State);
        Assert.Equal(1, run.Attempt);
        Assert.Equal(Now, run.CreatedAt);
        Assert.Equal(Now, run.DueAt);
        Assert.Equal(Now, run.StartedAt);
        Assert.Equal(Owner, run.LeaseOwner);
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 4, 35, TimeSpan.Zero), run.LeaseExpiresAt);

        var sync = change.NewSync!;
        Assert.Equal(SyncStatus.Active, sync.Status);
        Assert.Equal(Now, sync.LastRunStartedAt);
        // Its slot (SyncId ends in 55555555: 19,999 ms into every minute) at least half the interval (1 m) on.
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 5, 19, 999, TimeSpan.Zero), sync.NextRunAt);
        Assert.Null(sync.RateLimitBackoffMs);
        Assert.Equal(6, sync.Version);
        Assert.Equal(Now, sync.UpdatedAt);
    }

    [Fact]
    public void AnOverrunSync_GetsOneRun_NotOnePerMissedTick()
    {
        var change = RunRules.Dispatch(Snapshot(DueSync() with { NextRunAt = Now.AddMinutes(-10) }), Now, Owner, Policy);

        Assert.Single(change.RunsToInsert);
        // Ten minutes late: its first slot at or after now + 30 s = 03:04:35. SyncId ends in 55555555:
        // slot = 0x55555555 × 60,000 / 2^32 = 19,999 ms into the minute, so 03:05:19.999 (ScheduleGridTests).
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 5, 19, 999, TimeSpan.Zero), change.NewSync!.NextRunAt);
    }

    [Fact]
    public void AFullResyncDue_MakesTheScheduledRunAPeriodicFull()
    {
        var change = RunRules.Dispatch(Snapshot(DueSync() with { LastFullSyncAt = Now.AddHours(-24) }), Now, Owner, Policy);

        var run = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunType.Full, run.Type);
        Assert.Equal(RunTrigger.Periodic, run.Trigger);
    }

    [Fact]
    public void AFullResyncDueInAMillisecond_LeavesTheRunIncremental()
    {
        var change = RunRules.Dispatch(
            Snapshot(DueSync() with { LastFullSyncAt = Now.AddHours(-24).AddMilliseconds(1) }), Now, Owner, Policy);

        Assert.Equal(RunType.Incremental, Assert.Single(change.RunsToInsert).Type);
    }

    [Fact]
    public void NeverFullySynced_CountsFromCreation() // created ten days ago
    {
        var change = RunRules.Dispatch(Snapshot(DueSync() with { LastFullSyncAt = null }), Now, Owner, Policy);

        Assert.Equal(RunType.Full, Assert.Single(change.RunsToInsert).Type);
    }

    [Fact]
    public void ADueQueuedRun_IsStartedInPlace()
    {
        var queued = Queued(RunType.Full, RunTrigger.Manual, Now.AddMinutes(-5));

        var change = RunRules.Dispatch(Snapshot(IdleSync(), queued), Now, Owner, Policy);

        Assert.Empty(change.RunsToInsert);
        var started = Assert.Single(change.RunsToUpdate);
        Assert.Equal(queued.Id, started.Id);
        Assert.Equal(RunType.Full, started.Type);
        Assert.Equal(RunTrigger.Manual, started.Trigger);
        Assert.Equal(RunState.Running, started.State);
        Assert.Equal(1, started.Attempt);
        Assert.Equal(Now, started.StartedAt);
        Assert.Equal(Now.AddMinutes(-5), started.DueAt);
        Assert.Equal(Owner, started.LeaseOwner);
        Assert.Equal(Now.AddSeconds(30), started.LeaseExpiresAt);
        Assert.Equal(SyncStatus.Active, change.NewSync!.Status);
    }

    [Fact]
    public void OfSeveralDueRuns_TheEarliestDueStarts_ThenTheEarliestCreated()
    {
        var later = Queued(RunType.Incremental, RunTrigger.Manual, Now.AddMinutes(-1));
        var earliest = Queued(RunType.Full, RunTrigger.CredentialChange, Now.AddMinutes(-3), createdAt: Now.AddMinutes(-3));
        var sameDueCreatedBefore = Queued(RunType.Full, RunTrigger.Manual, Now.AddMinutes(-3), createdAt: Now.AddMinutes(-4));

        var change = RunRules.Dispatch(Snapshot(IdleSync(), later, earliest, sameDueCreatedBefore), Now, Owner, Policy);

        Assert.Equal(sameDueCreatedBefore.Id, Assert.Single(change.RunsToUpdate).Id);
    }

    [Fact]
    public void AQueuedRunNotYetDue_BlocksTheSchedule() =>
        AssertNothing(RunRules.Dispatch(
            Snapshot(DueSync(), Queued(RunType.Full, RunTrigger.Manual, Now.AddMilliseconds(1))), Now, Owner, Policy));

    [Fact]
    public void ARunningRunWithALiveLease_StartsNothingElse() =>
        AssertNothing(RunRules.Dispatch(
            Snapshot(DueSync(), Running(Now.AddMilliseconds(1)), Queued(RunType.Full, RunTrigger.Manual, Now.AddMinutes(-1))),
            Now, Owner, Policy));

    [Fact]
    public void ARunningRunWhoseLeaseEnded_IsReclaimedUnderTheNextAttempt()
    {
        var orphan = Running(Now); // the lease ends exactly now

        var change = RunRules.Dispatch(Snapshot(DueSync() with { Status = SyncStatus.Active }, orphan), Now, Owner, Policy);

        Assert.Empty(change.RunsToInsert);
        var reclaimed = Assert.Single(change.RunsToUpdate);
        Assert.Equal(orphan.Id, reclaimed.Id);
        Assert.Equal(RunState.Running, reclaimed.State);
        Assert.Equal(2, reclaimed.Attempt);
        Assert.Equal(Now, reclaimed.StartedAt);
        Assert.Equal(Owner, reclaimed.LeaseOwner);
        Assert.Equal(Now.AddSeconds(30), reclaimed.LeaseExpiresAt);
    }

    [Fact]
    public void TheFirstRun_PutsTheSyncOnItsSlot()
    {
        // SyncId ends in 55555555: 19,999 ms into every minute; the first at or after now + 30 s.
        var fresh = DueSync() with { Status = SyncStatus.Initializing, LastRunStartedAt = null, LastSyncedAt = null };

        var change = RunRules.Dispatch(Snapshot(fresh, Queued(RunType.Initial, RunTrigger.Enable, Now.AddSeconds(-1))), Now, Owner, Policy);

        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 5, 19, 999, TimeSpan.Zero), change.NewSync!.NextRunAt);
        Assert.Equal(Now, change.NewSync.LastRunStartedAt);
    }

    [Fact]
    public void TheFirstRun_SlotScalesWithTheInterval()
    {
        var fresh = DueSync() with { Frequency = "1h", LastRunStartedAt = null };

        var change = RunRules.Dispatch(Snapshot(fresh), Now, Owner, Policy);

        // 1 h: slot 19 min 19.999 s into the hour (ScheduleGridTests); 03:19:19.999 is before now + 30 min.
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 4, 19, 19, 999, TimeSpan.Zero), change.NewSync!.NextRunAt);
    }

    [Fact]
    public void ACustomLease_SetsTheLeaseEnd()
    {
        var change = RunRules.Dispatch(Snapshot(DueSync()), Now, Owner, Policy with { Lease = TimeSpan.FromMinutes(2) });

        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 6, 5, TimeSpan.Zero), change.Result!.LeaseExpiresAt);
    }
}
