using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>
/// Budgets shared per credential: RunRules.Dispatch holds a Sync back while the source's hold on its credential lasts
/// or while every run slot of the credential is taken; RunRules.Finish of a rate-limited run puts the hold on.
/// </summary>
public class RunRulesCredentialBudgetTests
{
    private const string Owner = "replica-1";
    private static readonly RunPolicy Policy = new();

    /// <summary>The source's hold: 45 s from now.</summary>
    private static readonly DateTimeOffset HoldEnd = Now.AddSeconds(45);

    private static CredentialBudget Held => new(HoldEnd, "SlowDown: reduce your request rate", Running: 0, MaxRuns: 2);

    private static CredentialBudget Full => new(null, null, Running: 2, MaxRuns: 2);

    private static SyncRun QueuedRun(int attempt = 3, int retries = 1) =>
        Run(RunType.Incremental, RunTrigger.Manual, RunState.Queued) with { Attempt = attempt, Retries = retries };

    [Fact]
    public void AHeldCredential_QueuesTheDueRunUntilTheHoldEnds_WithoutSpendingAnAttemptOrARetry()
    {
        var queued = QueuedRun(attempt: 3, retries: 1);

        var change = RunRules.Dispatch(Snapshot(IdleSync(), queued), Now, Owner, Policy, Held);

        Assert.Null(change.Result); // nothing started
        var held = Assert.Single(change.RunsToUpdate);
        Assert.Equal(queued.Id, held.Id);
        Assert.Equal(RunState.Queued, held.State);
        Assert.Equal(HoldEnd, held.DueAt);
        Assert.Equal(RunHold.CredentialRateLimited, held.Hold);
        Assert.Equal(3, held.Attempt);
        Assert.Equal(1, held.Retries);
        Assert.Null(held.LeaseOwner);
        var sync = change.NewSync!;
        Assert.Equal(SyncStatus.RateLimited, sync.Status);
        Assert.Equal(45_000, sync.RateLimitBackoffMs);
        Assert.Equal(HoldEnd, sync.RateLimitedUntil);
        Assert.Equal(6, sync.Version);
        Assert.Equal(Now, sync.NextRunAt!.Value.AddSeconds(-30)); // the schedule is untouched
    }

    [Fact]
    public void AHeldCredential_LogsSyncRateLimitedWithTheTimeLeftAndTheSourcesMessage()
    {
        var queued = QueuedRun();

        var change = RunRules.Dispatch(Snapshot(IdleSync(), queued), Now, Owner, Policy, Held);

        var e = Assert.Single(change.Events);
        Assert.Equal(EventTypes.SyncRateLimited, e.Type);
        Assert.Equal($$"""{"runId":"{{queued.Id}}","retryAfterMs":45000,"error":"SlowDown: reduce your request rate"}""", e.DataJson);
    }

    [Fact]
    public void AHeldCredential_InsertsTheScheduledRunQueuedUntilTheHoldEnds()
    {
        var due = IdleSync() with { NextRunAt = Now, LastFullSyncAt = Now.AddHours(-1) };

        var change = RunRules.Dispatch(Snapshot(due), Now, Owner, Policy, Held);

        var inserted = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunState.Queued, inserted.State);
        Assert.Equal(RunType.Incremental, inserted.Type);
        Assert.Equal(HoldEnd, inserted.DueAt);
        Assert.Equal(0, inserted.Attempt);
        Assert.Equal(SyncStatus.RateLimited, change.NewSync!.Status);
    }

    [Fact]
    public void AHeldCredential_TakesBackARunWhoseLeaseExpired_QueuedUntilTheHoldEnds_AttemptUnchanged()
    {
        var dead = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running) with
        {
            Attempt = 2, LeaseOwner = "replica-0", LeaseExpiresAt = Now.AddSeconds(-1),
        };

        var change = RunRules.Dispatch(Snapshot(IdleSync() with { Status = SyncStatus.Active }, dead), Now, Owner, Policy, Held);

        var held = Assert.Single(change.RunsToUpdate);
        Assert.Equal(RunState.Queued, held.State);
        Assert.Equal(2, held.Attempt);
        Assert.Null(held.LeaseOwner);
        Assert.Null(held.LeaseExpiresAt);
        Assert.Equal(HoldEnd, held.DueAt);
    }

    [Fact]
    public void AHoldThatHasEnded_DoesNotHoldAnything()
    {
        var ended = Held with { HoldUntil = Now };

        var change = RunRules.Dispatch(Snapshot(IdleSync(), QueuedRun()), Now, Owner, Policy, ended);

        Assert.NotNull(change.Result);
        Assert.Equal(RunState.Running, change.Result.State);
        Assert.Null(change.Result.Hold);
    }

    [Fact]
    public void AStartingRun_ClearsItsHold_AndTheSyncsRateLimit()
    {
        var waited = QueuedRun() with { Hold = RunHold.CredentialRateLimited };
        var limited = IdleSync() with { Status = SyncStatus.RateLimited, RateLimitBackoffMs = 45_000, RateLimitedUntil = Now };

        var change = RunRules.Dispatch(Snapshot(limited, waited), Now, Owner, Policy, new CredentialBudget(null, null, 1, 2));

        Assert.Null(change.Result!.Hold);
        Assert.Equal(4, change.Result.Attempt);
        Assert.Equal(SyncStatus.Active, change.NewSync!.Status);
        Assert.Null(change.NewSync.RateLimitBackoffMs);
        Assert.Null(change.NewSync.RateLimitedUntil);
    }

    [Fact]
    public void AFullCredential_LeavesTheRunQueuedAndDue_MarkedCredentialBusy_AndTheSyncAlone()
    {
        var queued = QueuedRun(attempt: 0, retries: 0);

        var change = RunRules.Dispatch(Snapshot(IdleSync(), queued), Now, Owner, Policy, Full);

        Assert.Null(change.Result);
        Assert.Null(change.NewSync);
        var waiting = Assert.Single(change.RunsToUpdate);
        Assert.Equal(RunState.Queued, waiting.State);
        Assert.Equal(RunHold.CredentialBusy, waiting.Hold);
        Assert.Equal(queued.DueAt, waiting.DueAt); // still due: it starts as soon as a slot frees
        Assert.Equal(0, waiting.Attempt);
        Assert.Empty(change.Events);
    }

    [Fact]
    public void AFullCredential_WritesNothing_ForARunAlreadyMarkedCredentialBusy()
    {
        var waiting = QueuedRun() with { Hold = RunHold.CredentialBusy };

        var change = RunRules.Dispatch(Snapshot(IdleSync(), waiting), Now, Owner, Policy, Full);

        Assert.Null(change.NewSync);
        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.Null(change.Result);
    }

    [Fact]
    public void AFullCredential_InsertsTheScheduledRunQueuedAndBusy()
    {
        var due = IdleSync() with { NextRunAt = Now, LastFullSyncAt = Now.AddHours(-1) };

        var change = RunRules.Dispatch(Snapshot(due), Now, Owner, Policy, Full);

        var inserted = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunState.Queued, inserted.State);
        Assert.Equal(RunHold.CredentialBusy, inserted.Hold);
        Assert.Equal(Now, inserted.DueAt);
        Assert.Null(change.NewSync);
    }

    [Fact]
    public void AFullCredential_HoldsAnOverdueScheduledRun_DueWhenTheSyncWasDue_SoItKeepsItsPlaceInLine()
    {
        var planned = Now.AddSeconds(-40); // a backlog: the Sync came due 40 s ago
        var overdue = IdleSync() with { NextRunAt = planned, LastFullSyncAt = Now.AddHours(-1) };

        var change = RunRules.Dispatch(Snapshot(overdue), Now, Owner, Policy, Full);

        var inserted = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunHold.CredentialBusy, inserted.Hold);
        Assert.Equal(planned, inserted.DueAt); // not Now: due work is taken oldest first
        Assert.Equal(Now, inserted.CreatedAt);
    }

    [Fact]
    public void AFullCredential_AfterARateLimitHoldEnded_ShowsTheSyncWaitingInsteadOfRateLimited()
    {
        var limited = IdleSync() with { Status = SyncStatus.RateLimited, RateLimitBackoffMs = 45_000, RateLimitedUntil = Now.AddSeconds(-1) };
        var run = QueuedRun() with { Hold = RunHold.CredentialRateLimited };

        var change = RunRules.Dispatch(Snapshot(limited, run), Now, Owner, Policy, Full);

        Assert.Equal(SyncStatus.Idle, change.NewSync!.Status);
        Assert.Null(change.NewSync.RateLimitBackoffMs);
        Assert.Null(change.NewSync.RateLimitedUntil);
        Assert.Equal(RunHold.CredentialBusy, Assert.Single(change.RunsToUpdate).Hold);
    }

    [Fact]
    public void AHold_WinsOverAFullCredential()
    {
        var change = RunRules.Dispatch(Snapshot(IdleSync(), QueuedRun()), Now, Owner, Policy, Held with { Running = 2 });

        Assert.Equal(RunHold.CredentialRateLimited, Assert.Single(change.RunsToUpdate).Hold);
        Assert.Equal(SyncStatus.RateLimited, change.NewSync!.Status);
    }

    [Fact]
    public void ACredentialWithAFreeSlot_StartsTheRun()
    {
        var change = RunRules.Dispatch(Snapshot(IdleSync(), QueuedRun()), Now, Owner, Policy, new CredentialBudget(null, null, 1, 2));

        Assert.Equal(RunState.Running, change.Result!.State);
    }

    [Fact]
    public void ARateLimitedFinish_PutsTheHoldOnTheCredential_UntilTheSourcesRetryTime()
    {
        var running = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running) with
        {
            Attempt = 2, LeaseOwner = Owner, LeaseExpiresAt = Now.AddSeconds(20),
        };

        var change = RunRules.Finish(Snapshot(IdleSync() with { Status = SyncStatus.Active }, running), running.Id, 2,
            new RunOutcome.RateLimited(TimeSpan.FromSeconds(90), "503 SlowDown"), Now, Policy);

        Assert.Equal(new CredentialHold(CredentialA, Now.AddSeconds(90), "503 SlowDown"), change.CredentialHold);
        var queued = Assert.Single(change.RunsToUpdate);
        Assert.Equal(RunHold.CredentialRateLimited, queued.Hold);
        Assert.Equal(Now.AddSeconds(90), queued.DueAt);
        Assert.Equal(0, queued.Retries);
        Assert.Equal(Now.AddSeconds(90), change.NewSync!.RateLimitedUntil);
    }

    [Theory]
    [InlineData("transient")]
    [InlineData("succeeded")]
    public void OtherFinishes_PutNoHold(string kind)
    {
        var running = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running) with { Attempt = 1 };
        RunOutcome outcome = kind == "transient" ? new RunOutcome.TransientFailure("reset") : new RunOutcome.Succeeded(null);

        var change = RunRules.Finish(Snapshot(IdleSync() with { Status = SyncStatus.Active }, running), running.Id, 1, outcome, Now, Policy);

        Assert.Null(change.CredentialHold);
    }

    [Fact]
    public void Budget_IsFull_OnlyWhenEverySlotIsTaken_AndHeld_OnlyBeforeItsEnd()
    {
        Assert.False(new CredentialBudget(null, null, 1, 2).IsFull);
        Assert.True(new CredentialBudget(null, null, 2, 2).IsFull);
        Assert.True(new CredentialBudget(null, null, 3, 2).IsFull);
        Assert.False(CredentialBudget.Unlimited.IsFull);
        Assert.True(Held.IsHeldAt(Now));
        Assert.False(Held.IsHeldAt(HoldEnd));
        Assert.False(CredentialBudget.Unlimited.IsHeldAt(Now));
    }
}
