using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

public class SyncRulesUpdateTests
{
    private static UpdateSyncCommand FrequencyTo(string frequency) => new(null, frequency, null);
    private static UpdateSyncCommand CredentialTo(Guid credentialId) => new(credentialId, null, null);

    // ---- frequency ----

    [Fact]
    public void Update_FrequencyOnly_DoesNotQueueFullSync()
    {
        var change = SyncRules.Update(Snapshot(IdleSync()), FrequencyTo("1h"), Now);

        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.True(change.Result.Changed);
        Assert.Null(change.Result.QueuedFullRun);
        Assert.NotNull(change.NewSync);
        Assert.Equal("1h", change.NewSync.Frequency);
        Assert.Equal(TestData.CredentialA, change.NewSync.CredentialId);
    }

    [Fact]
    public void Update_FrequencyOnly_LastRunLongAgo_PlansNextRunNowRatherThanInThePast()
    {
        // Last run started 2 h ago; 2 h ago + 1 h is in the past, so the next run is due now.
        var sync = IdleSync() with { LastRunStartedAt = Now.AddHours(-2), NextRunAt = Now.AddMinutes(-119) };

        var change = SyncRules.Update(Snapshot(sync), FrequencyTo("1h"), Now);

        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 4, 5, TimeSpan.Zero), change.NewSync!.NextRunAt);
    }

    [Fact]
    public void Update_FrequencyOnly_LastRunRecent_PlansNextRunOneNewIntervalAfterTheLastRunStarted()
    {
        // Last run started 10 min ago; 10 min ago + 1 h = 50 min from now.
        var sync = IdleSync() with { LastRunStartedAt = Now.AddMinutes(-10), NextRunAt = Now.AddMinutes(-9) };

        var change = SyncRules.Update(Snapshot(sync), FrequencyTo("1h"), Now);

        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 54, 5, TimeSpan.Zero), change.NewSync!.NextRunAt);
    }

    [Fact]
    public void Update_FrequencyOnly_BeforeAnyRunStarted_PlansFromCreatedAt()
    {
        // Created 20 min ago and no run started yet: 20 min ago + 1 h = 40 min from now.
        var sync = IdleSync() with
        {
            Status = SyncStatus.Initializing,
            CreatedAt = Now.AddMinutes(-20),
            LastRunStartedAt = null,
            LastSyncedAt = null,
            NextRunAt = Now.AddMinutes(-19),
        };

        var change = SyncRules.Update(Snapshot(sync), FrequencyTo("1h"), Now);

        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 44, 5, TimeSpan.Zero), change.NewSync!.NextRunAt);
    }

    [Fact]
    public void Update_FrequencyToShorter_PlansNextRunEarlier()
    {
        // Was 24 h, last run started 10 min ago; with 30m the next run is 20 min from now.
        var sync = IdleSync() with { Frequency = "24h", LastRunStartedAt = Now.AddMinutes(-10), NextRunAt = Now.AddHours(23).AddMinutes(50) };

        var change = SyncRules.Update(Snapshot(sync), FrequencyTo("30m"), Now);

        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 24, 5, TimeSpan.Zero), change.NewSync!.NextRunAt);
    }

    [Fact]
    public void Update_FrequencyOnly_LeavesTheRunningRunUntouched()
    {
        var running = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running);
        var sync = IdleSync() with { Status = SyncStatus.Active };

        var change = SyncRules.Update(Snapshot(sync, running), FrequencyTo("5m"), Now);

        Assert.Empty(change.RunsToUpdate);
        Assert.Empty(change.RunsToInsert);
        Assert.Equal(SyncStatus.Active, change.NewSync!.Status);
    }

    [Fact]
    public void Update_SameFrequency_ChangesNothing()
    {
        var sync = IdleSync() with { Frequency = "5m" };

        var change = SyncRules.Update(Snapshot(sync), FrequencyTo("5m"), Now);

        Assert.Null(change.NewSync);
        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.False(change.Result.Changed);
    }

    // ---- credential ----

    [Fact]
    public void Update_DifferentCredential_QueuesOneFullRunTriggeredByCredentialChange()
    {
        var change = SyncRules.Update(Snapshot(IdleSync()), CredentialTo(CredentialB), Now);

        var run = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunType.Full, run.Type);
        Assert.Equal(RunTrigger.CredentialChange, run.Trigger);
        Assert.Equal(RunState.Queued, run.State);
        Assert.Equal(SyncId, run.SyncId);
        Assert.Equal(Now, run.DueAt);
        Assert.Equal(Now, run.CreatedAt);
        Assert.Empty(change.RunsToUpdate);
        Assert.True(change.Result.Changed);
        Assert.Same(run, change.Result.QueuedFullRun);
    }

    [Fact]
    public void Update_DifferentCredential_RebindsTheSyncWithoutReplanningTheSchedule()
    {
        var sync = IdleSync();

        var change = SyncRules.Update(Snapshot(sync), CredentialTo(CredentialB), Now);

        Assert.Equal(CredentialB, change.NewSync!.CredentialId);
        Assert.Null(change.NewSync.Frequency);
        Assert.Equal(Now.AddSeconds(30), change.NewSync.NextRunAt);
        Assert.Equal(SyncStatus.Idle, change.NewSync.Status);
    }

    [Fact]
    public void Update_SameCredential_ChangesNothing()
    {
        var change = SyncRules.Update(Snapshot(IdleSync()), CredentialTo(CredentialA), Now);

        Assert.Null(change.NewSync);
        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.False(change.Result.Changed);
        Assert.Null(change.Result.QueuedFullRun);
    }

    [Fact]
    public void Update_EmptyCommand_ChangesNothing()
    {
        var change = SyncRules.Update(Snapshot(IdleSync()), new UpdateSyncCommand(null, null, null), Now);

        Assert.Null(change.NewSync);
        Assert.False(change.Result.Changed);
    }

    [Fact]
    public void Update_SecondCredentialChangeWhileCredentialChangeFullRunIsQueued_DoesNotQueueASecondRun()
    {
        var queued = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Queued);
        var sync = IdleSync() with { CredentialId = CredentialB };

        var change = SyncRules.Update(Snapshot(sync, queued), CredentialTo(CredentialC), Now);

        Assert.Empty(change.RunsToInsert);
        Assert.Empty(change.RunsToUpdate);
        Assert.Equal(CredentialC, change.NewSync!.CredentialId);
        Assert.True(change.Result.Changed);
        Assert.Null(change.Result.QueuedFullRun);
    }

    [Fact]
    public void Update_CredentialChangeWhileCredentialChangeFullRunIsRunning_QueuesANewFullRun()
    {
        // The running reconcile works with the old account; the new one needs its own.
        var running = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Running);

        var change = SyncRules.Update(Snapshot(IdleSync(), running), CredentialTo(CredentialB), Now);

        var run = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunType.Full, run.Type);
        Assert.Equal(RunTrigger.CredentialChange, run.Trigger);
        Assert.Empty(change.RunsToUpdate);
    }

    [Fact]
    public void Update_CredentialChangeWhileOtherRunsAreQueued_StillQueuesAFullRun()
    {
        var manualFull = Run(RunType.Full, RunTrigger.Manual, RunState.Queued);
        var incremental = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Queued);

        var change = SyncRules.Update(Snapshot(IdleSync(), manualFull, incremental), CredentialTo(CredentialB), Now);

        var run = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunTrigger.CredentialChange, run.Trigger);
    }

    [Fact]
    public void Update_FrequencyAndCredential_StoresBothAndQueuesOneFullRun()
    {
        var sync = IdleSync() with { LastRunStartedAt = Now.AddMinutes(-10) };

        var change = SyncRules.Update(Snapshot(sync), new UpdateSyncCommand(CredentialB, "1h", null), Now);

        Assert.Equal(CredentialB, change.NewSync!.CredentialId);
        Assert.Equal("1h", change.NewSync.Frequency);
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 54, 5, TimeSpan.Zero), change.NewSync.NextRunAt);
        Assert.Equal(6, change.NewSync.Version);
        var run = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunType.Full, run.Type);
        Assert.Equal(RunTrigger.CredentialChange, run.Trigger);
        Assert.Same(run, change.Result.QueuedFullRun);
    }

    // ---- etag ----

    /// <summary>Id <see cref="TestData.SyncId"/>, created at <see cref="TestData.T0"/>, version 1: etag "30d4fc3884923728".</summary>
    private static Sync VersionOneSync() => IdleSync() with { Version = 1 };

    [Theory]
    [InlineData("30d4fc3884923728")]
    [InlineData("\"30d4fc3884923728\"")]
    [InlineData("W/\"30d4fc3884923728\"")]
    [InlineData(" W/\"30d4fc3884923728\" ")]
    public void Update_MatchingETag_IsAccepted(string etag)
    {
        var change = SyncRules.Update(Snapshot(VersionOneSync()), new UpdateSyncCommand(null, "1h", etag), Now);

        Assert.True(change.Result.Changed);
        Assert.Equal(2, change.NewSync!.Version);
    }

    [Theory]
    [InlineData("ee39d8287b5f6edc")] // the etag of version 2
    [InlineData("\"ee39d8287b5f6edc\"")]
    [InlineData("7f1a511dfa97808e")] // version 1 of a Sync created 1 ms later (an earlier life)
    [InlineData("30D4FC3884923728")] // etags are compared exactly
    public void Update_StaleETag_IsAbortedWithEtagMismatch(string etag)
    {
        var ex = Assert.Throws<DomainException>(() =>
            SyncRules.Update(Snapshot(VersionOneSync()), new UpdateSyncCommand(null, "1h", etag), Now));

        Assert.Equal(ErrorKind.Aborted, ex.Kind);
        Assert.Equal("ETAG_MISMATCH", ex.Reason);
        Assert.Empty(ex.Violations);
    }

    [Fact]
    public void Update_StaleETag_IsAbortedEvenWhenTheUpdateWouldChangeNothing()
    {
        var ex = Assert.Throws<DomainException>(() =>
            SyncRules.Update(Snapshot(VersionOneSync()), new UpdateSyncCommand(CredentialA, null, "ee39d8287b5f6edc"), Now));

        Assert.Equal(ErrorKind.Aborted, ex.Kind);
    }

    // ---- stopped Syncs ----

    [Theory]
    [InlineData(SyncStatus.Disabled)]
    [InlineData(SyncStatus.Errored)]
    public void Update_FrequencyOnStoppedSync_IsStoredWithoutPlanningANextRun(SyncStatus status)
    {
        var sync = IdleSync() with { Status = status, NextRunAt = null, LastRunStartedAt = Now.AddMinutes(-10) };

        var change = SyncRules.Update(Snapshot(sync), FrequencyTo("1h"), Now);

        Assert.Equal("1h", change.NewSync!.Frequency);
        Assert.Null(change.NewSync.NextRunAt);
        Assert.Equal(status, change.NewSync.Status);
        Assert.Equal(6, change.NewSync.Version);
        Assert.Empty(change.RunsToInsert);
    }

    [Theory]
    [InlineData(SyncStatus.Disabled)]
    [InlineData(SyncStatus.Errored)]
    public void Update_CredentialOnStoppedSync_IsStoredWithoutPlanningANextRun(SyncStatus status)
    {
        var sync = IdleSync() with { Status = status, NextRunAt = null };

        var change = SyncRules.Update(Snapshot(sync), CredentialTo(CredentialB), Now);

        Assert.Equal(CredentialB, change.NewSync!.CredentialId);
        Assert.Null(change.NewSync.NextRunAt);
        Assert.Equal(status, change.NewSync.Status);
        // Documented: the reconcile is queued anyway and runs once the Sync is re-enabled.
        var run = Assert.Single(change.RunsToInsert);
        Assert.Equal(RunType.Full, run.Type);
        Assert.Equal(RunTrigger.CredentialChange, run.Trigger);
    }

    // ---- version bookkeeping ----

    [Fact]
    public void Update_Change_IncrementsVersionAndStampsUpdatedAt()
    {
        var sync = IdleSync();

        var change = SyncRules.Update(Snapshot(sync), FrequencyTo("10m"), Now);

        Assert.Equal(6, change.NewSync!.Version);
        Assert.Equal(Now, change.NewSync.UpdatedAt);
        Assert.Equal(T0, change.NewSync.CreatedAt);
        Assert.Equal(SyncId, change.NewSync.Id);
        Assert.NotEqual(sync.ETag, change.NewSync.ETag);
    }

    [Fact]
    public void Update_Change_KeepsEverythingElse()
    {
        var sync = IdleSync() with { TotalRecords = 42, SyncedRecordsCount = 40, LatestRecordSequence = 7, Reason = "r" };

        var change = SyncRules.Update(Snapshot(sync), CredentialTo(CredentialB), Now);

        var expected = sync with { CredentialId = CredentialB, Version = 6, UpdatedAt = Now };
        Assert.Equal(expected, change.NewSync);
    }
}
