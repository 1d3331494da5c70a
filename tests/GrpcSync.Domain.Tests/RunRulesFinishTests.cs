using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>RunRules.Finish: a worker reports how its run ended; only the run's current attempt may.</summary>
public class RunRulesFinishTests
{
    private static readonly RunPolicy Policy = new(); // 5 retries, backoff 5 s doubling up to 5 min

    /// <summary>
    /// Ends in B179379E: read little-endian that is 0x9E3779B1, the jitter multiplier for the first retry,
    /// so the jitter seed is 0 and the first backoff is exactly half of 5 s.
    /// </summary>
    private static readonly Guid RunId = new("00000000-0000-0000-0000-0000b179379e");

    /// <summary>An ACTIVE Sync that last synced an hour ago; next run planned in 40 s; source cursor "c-1".</summary>
    private static Sync ActiveSync() => IdleSync() with
    {
        Status = SyncStatus.Active,
        LastSyncedAt = Now.AddHours(-1),
        NextRunAt = Now.AddSeconds(40),
        SourceCursor = "c-1",
        LastFullSyncAt = T0.AddDays(9),
    };

    /// <summary>Its INCREMENTAL run, RUNNING under attempt 2, with an error from an earlier try.</summary>
    private static SyncRun RunningRun(RunType type = RunType.Incremental, int retries = 0) =>
        Run(type, RunTrigger.Schedule, RunState.Running, RunId) with
        {
            Attempt = 2,
            Retries = retries,
            Error = "earlier try",
            LeaseOwner = "replica-1",
            LeaseExpiresAt = Now.AddSeconds(20),
        };

    private static SyncChange<FinishResult> Finish(RunOutcome outcome, Sync? sync = null, SyncRun? run = null) =>
        RunRules.Finish(Snapshot(sync ?? ActiveSync(), run ?? RunningRun()), RunId, 2, outcome, Now, Policy);

    /// <summary>The single run write, which is also the answer; every finish moves the Sync's version.</summary>
    private static SyncRun Written(SyncChange<FinishResult> change)
    {
        Assert.False(change.Result.Fenced);
        Assert.Empty(change.RunsToInsert);
        var run = Assert.Single(change.RunsToUpdate);
        Assert.Same(run, change.Result.Run);
        Assert.Equal(RunId, run.Id);
        Assert.Equal(2, run.Attempt);
        Assert.Null(run.LeaseOwner);
        Assert.Null(run.LeaseExpiresAt);
        Assert.Equal(6, change.NewSync!.Version);
        Assert.Equal(Now, change.NewSync.UpdatedAt);
        return run;
    }

    public static TheoryData<string> LostRuns => ["unknown run", "older attempt", "no longer running"];

    [Theory]
    [MemberData(nameof(LostRuns))]
    public void AWorkerThatLostItsRun_IsFenced_AndNothingIsWritten(string how)
    {
        var (runId, attempt, run) = how switch
        {
            "unknown run" => (Guid.NewGuid(), 2, RunningRun()),
            "older attempt" => (RunId, 1, RunningRun()),
            _ => (RunId, 2, RunningRun() with { State = RunState.Cancelled }),
        };

        var change = RunRules.Finish(Snapshot(ActiveSync(), run), runId, attempt, new RunOutcome.Succeeded("c-2"), Now, Policy);

        Assert.True(change.Result.Fenced);
        Assert.Null(change.Result.Run);
        Assert.Null(change.NewSync);
        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
    }

    [Fact]
    public void Succeeded_FinishesTheRun_AndTheSyncIsIdleWithTheNewCursor()
    {
        var change = Finish(new RunOutcome.Succeeded("c-2"));

        var run = Written(change);
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(Now, run.FinishedAt);
        Assert.Null(run.Error);
        var sync = change.NewSync!;
        Assert.Equal(SyncStatus.Idle, sync.Status);
        Assert.Null(sync.Reason);
        Assert.Equal(Now, sync.LastSyncedAt);
        Assert.Equal("c-2", sync.SourceCursor);
        Assert.Equal(T0.AddDays(9), sync.LastFullSyncAt); // an incremental run is no full sync
        Assert.Equal(Now.AddSeconds(40), sync.NextRunAt);
    }

    [Fact]
    public void Succeeded_WithoutACursor_KeepsTheOldOne() =>
        Assert.Equal("c-1", Finish(new RunOutcome.Succeeded(null)).NewSync!.SourceCursor);

    [Theory]
    [InlineData(RunType.Initial)]
    [InlineData(RunType.Full)]
    public void Succeeded_InitialOrFull_IsTheLastFullSync(RunType type) =>
        Assert.Equal(Now, Finish(new RunOutcome.Succeeded("c-2"), run: RunningRun(type)).NewSync!.LastFullSyncAt);

    [Fact]
    public void Succeeded_AfterThePlannedTime_PlansTheNextRunNow_NotInThePast() =>
        Assert.Equal(Now, Finish(new RunOutcome.Succeeded("c-2"), ActiveSync() with { NextRunAt = Now.AddMinutes(-3) }).NewSync!.NextRunAt);

    [Fact]
    public void ATransientFailure_QueuesTheRunAgainAfterTheBackoff()
    {
        var change = Finish(new RunOutcome.TransientFailure("timeout"));

        var run = Written(change);
        Assert.Equal(RunState.Queued, run.State);
        Assert.Equal(Now.AddSeconds(2.5), run.DueAt);
        Assert.Equal(1, run.Retries);
        Assert.Equal("timeout", run.Error);
        Assert.Null(run.FinishedAt);
        Assert.Equal(SyncStatus.Idle, change.NewSync!.Status);
        Assert.Equal(Now.AddSeconds(40), change.NewSync.NextRunAt);
        Assert.Equal(Now.AddHours(-1), change.NewSync.LastSyncedAt);
    }

    [Fact]
    public void ATransientFailure_OfASyncThatNeverSynced_LeavesItInitializing() =>
        Assert.Equal(SyncStatus.Initializing,
            Finish(new RunOutcome.TransientFailure("timeout"), ActiveSync() with { LastSyncedAt = null }).NewSync!.Status);

    [Fact]
    public void ATransientFailure_BelowTheLimit_IsStillRetried()
    {
        var run = Written(Finish(new RunOutcome.TransientFailure("timeout"), run: RunningRun(retries: 4)));

        Assert.Equal(RunState.Queued, run.State);
        Assert.Equal(5, run.Retries);
    }

    [Fact]
    public void ATransientFailure_AtTheLimit_FailsTheRun()
    {
        var change = Finish(new RunOutcome.TransientFailure("timeout"), ActiveSync() with { NextRunAt = Now.AddMinutes(-1) },
            RunningRun(retries: 5));

        var run = Written(change);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal(Now, run.FinishedAt);
        Assert.Equal("timeout", run.Error);
        Assert.Equal(5, run.Retries);
        Assert.Equal(SyncStatus.Idle, change.NewSync!.Status);
        Assert.Equal(Now, change.NewSync.NextRunAt);
    }

    [Fact]
    public void RateLimited_QueuesTheRunAfterTheSourcesDelay_AndShowsRateLimited()
    {
        var change = Finish(new RunOutcome.RateLimited(TimeSpan.FromSeconds(90), "slow down"));

        var run = Written(change);
        Assert.Equal(RunState.Queued, run.State);
        Assert.Equal(Now.AddSeconds(90), run.DueAt);
        Assert.Equal(0, run.Retries);
        Assert.Equal("slow down", run.Error);
        Assert.Equal(SyncStatus.RateLimited, change.NewSync!.Status);
        Assert.Equal(90_000, change.NewSync.RateLimitBackoffMs);
    }

    [Fact]
    public void APermanentFailure_FailsTheRun_AndStopsTheSyncWithTheReason()
    {
        var change = Finish(new RunOutcome.PermanentFailure("The credential was rejected."));

        var run = Written(change);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal(Now, run.FinishedAt);
        Assert.Equal("The credential was rejected.", run.Error);
        Assert.Equal(SyncStatus.Errored, change.NewSync!.Status);
        Assert.Equal("The credential was rejected.", change.NewSync.Reason);
        Assert.Null(change.NewSync.NextRunAt);
    }

    [Fact]
    public void Released_QueuesTheRunDueNow_WithoutCountingARetry()
    {
        var change = Finish(new RunOutcome.Released());

        var run = Written(change);
        Assert.Equal(RunState.Queued, run.State);
        Assert.Equal(Now, run.DueAt);
        Assert.Equal(0, run.Retries);
        Assert.Null(run.FinishedAt);
        Assert.Equal("earlier try", run.Error);
        Assert.Equal(SyncStatus.Idle, change.NewSync!.Status);
    }
}
