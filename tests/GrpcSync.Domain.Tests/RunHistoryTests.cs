using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>
/// Run history that stays bounded (RunHistory, and RunRules.Finish marking a run that changed nothing): which runs
/// collapse, how a run folds into the entry before it, and which folded run ids an entry answers for.
/// </summary>
public class RunHistoryTests
{
    private static readonly RunPolicy Policy = new();
    private static readonly Guid RunId = new("00000000-0000-0000-0000-0000000000aa");

    private static SyncRun Running(RunType type = RunType.Incremental, RunTrigger trigger = RunTrigger.Schedule) =>
        Run(type, trigger, RunState.Running, RunId) with { Attempt = 1, LeaseOwner = "w", LeaseExpiresAt = Now.AddSeconds(20) };

    private static SyncChange<FinishResult> Finish(RunOutcome outcome, RunCounts? counts, SyncRun? run = null) =>
        RunRules.Finish(Snapshot(IdleSync() with { Status = SyncStatus.Active }, run ?? Running()), RunId, 1, outcome, Now, Policy, counts);

    [Fact]
    public void AScheduledIncrementalRun_ThatChangedNothing_EndsAsACollapsedEntryOfOne_ToBeFolded()
    {
        var change = Finish(new RunOutcome.Succeeded("c"), RunCounts.None);

        var run = Assert.Single(change.RunsToUpdate);
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(1, run.CollapsedRuns);
        Assert.Equal(Now.AddMinutes(-4), run.LastStartedAt); // its own start
        Assert.Same(run, change.FoldIntoHistory);
        Assert.Equal(1, run.RunCount);
    }

    public static TheoryData<string> OwnEntries =>
        ["created", "updated", "deleted", "counts unknown", "full", "initial", "manual", "periodic", "transient failure",
         "permanent failure", "rate limited"];

    [Theory]
    [MemberData(nameof(OwnEntries))]
    public void EveryOtherRun_KeepsItsOwnEntry(string how)
    {
        RunOutcome ok = new RunOutcome.Succeeded("c");
        var (outcome, counts, run) = how switch
        {
            "created" => (ok, new RunCounts(1, 0, 0), Running()),
            "updated" => (ok, new RunCounts(0, 1, 0), Running()),
            "deleted" => (ok, new RunCounts(0, 0, 1), Running()),
            "counts unknown" => (ok, null, Running()),
            "full" => (ok, RunCounts.None, Running(RunType.Full, RunTrigger.Manual)),
            "initial" => (ok, RunCounts.None, Running(RunType.Initial, RunTrigger.Enable)),
            "manual" => (ok, RunCounts.None, Running(RunType.Incremental, RunTrigger.Manual)),
            "periodic" => (ok, RunCounts.None, Running(RunType.Full, RunTrigger.Periodic)),
            "transient failure" => (new RunOutcome.TransientFailure("t"), RunCounts.None, Running()),
            "permanent failure" => (new RunOutcome.PermanentFailure("p"), RunCounts.None, Running()),
            _ => (new RunOutcome.RateLimited(TimeSpan.FromSeconds(5), "slow down"), RunCounts.None, Running()),
        };

        var change = Finish(outcome, counts, run);

        Assert.Null(change.FoldIntoHistory);
        Assert.Null(Assert.Single(change.RunsToUpdate).CollapsedRuns);
    }

    private static SyncRun Entry(int? collapsed) => Run(RunType.Incremental, RunTrigger.Schedule, RunState.Succeeded) with
    {
        CreatedAt = Now.AddMinutes(-30),
        StartedAt = Now.AddMinutes(-30),
        FinishedAt = Now.AddMinutes(-29),
        Attempt = 1,
        CollapsedRuns = collapsed,
        LastStartedAt = collapsed is null ? null : Now.AddMinutes(-10),
    };

    private static SyncRun FinishedNoChange() => RunHistory.AsStreakOfOne(Running() with
    {
        State = RunState.Succeeded, StartedAt = Now.AddMinutes(-1), FinishedAt = Now, LeaseOwner = null, LeaseExpiresAt = null,
    });

    [Fact]
    public void Fold_IntoACollapsedEntry_CountsTheRun_AndMovesItsLastStartAndEnd()
    {
        var previous = Entry(collapsed: 3);

        var folded = RunHistory.Fold(previous, FinishedNoChange());

        Assert.Equal(previous with { CollapsedRuns = 4, LastStartedAt = Now.AddMinutes(-1), FinishedAt = Now }, folded);
    }

    [Fact]
    public void Fold_AfterAnEntryOfItsOwn_OrNone_StartsANewEntry()
    {
        Assert.Null(RunHistory.Fold(Entry(collapsed: null), FinishedNoChange()));
        Assert.Null(RunHistory.Fold(null, FinishedNoChange()));
        Assert.Null(RunHistory.Fold(Entry(collapsed: 2) with { SyncId = Guid.NewGuid() }, FinishedNoChange()));
    }

    [Fact]
    public void Fold_OfARunThatIsNotACollapsedEntryOfOne_IsAMistake() =>
        Assert.Throws<ArgumentException>(() => RunHistory.Fold(Entry(collapsed: 2), Running()));

    [Fact]
    public void ACollapsedEntry_CoversTheRunIdsMadeInItsSpan()
    {
        var entry = Entry(collapsed: 5); // created 30 min before Now, last started 10 min before

        Assert.True(RunHistory.Covers(entry, Guid.CreateVersion7(Now.AddMinutes(-20))));
        Assert.True(RunHistory.Covers(entry, Guid.CreateVersion7(Now.AddMinutes(-30))));
        Assert.True(RunHistory.Covers(entry, Guid.CreateVersion7(Now.AddMinutes(-10))));
        Assert.False(RunHistory.Covers(entry, Guid.CreateVersion7(Now.AddMinutes(-9))));
        Assert.False(RunHistory.Covers(entry, Guid.CreateVersion7(Now.AddMinutes(-31))));
        Assert.False(RunHistory.Covers(entry, new Guid("c0ffee00-0000-4000-8000-000000000000"))); // not a UUIDv7
        Assert.False(RunHistory.Covers(entry with { CollapsedRuns = 1 }, Guid.CreateVersion7(Now.AddMinutes(-20))));
        Assert.False(RunHistory.Covers(Entry(collapsed: null), Guid.CreateVersion7(Now.AddMinutes(-20))));
    }

    [Fact]
    public void RunIds_CarryTheirCreationMillisecond()
    {
        // 2025-01-12T03:04:05Z = 1,736,651,045,000 ms.
        Assert.Equal(1_736_651_045_000, RunIds.CreatedAt(Guid.CreateVersion7(Now)));
        Assert.Equal(1_736_651_045_000, RunIds.CreatedAt(new Guid("01945877-f888-7000-8000-000000000000")));
        Assert.Null(RunIds.CreatedAt(new Guid("01945877-f888-4000-8000-000000000000")));
    }
}
