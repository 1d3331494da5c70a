using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

public class SyncSnapshotAndErrorsTests
{
    [Fact]
    public void PendingRun_IsTheQueuedRunDueFirst()
    {
        var later = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Queued) with { DueAt = Now.AddMinutes(5) };
        var earlier = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Queued) with { DueAt = Now.AddMinutes(1) };
        var running = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running) with { DueAt = Now.AddMinutes(-10) };

        var snapshot = Snapshot(IdleSync(), later, running, earlier);

        Assert.Same(earlier, snapshot.PendingRun);
        Assert.Same(running, snapshot.RunningRun);
    }

    [Fact]
    public void Snapshot_WithoutOpenRuns_HasNoPendingOrRunningRun()
    {
        var snapshot = Snapshot(IdleSync());

        Assert.Null(snapshot.PendingRun);
        Assert.Null(snapshot.RunningRun);
    }

    [Theory]
    [InlineData(RunState.Queued, true)]
    [InlineData(RunState.Running, true)]
    [InlineData(RunState.Succeeded, false)]
    [InlineData(RunState.Failed, false)]
    [InlineData(RunState.Cancelled, false)]
    public void Run_IsOpenOnlyWhileQueuedOrRunning(RunState state, bool expected)
    {
        Assert.Equal(expected, Run(RunType.Incremental, RunTrigger.Schedule, state).IsOpen);
    }

    [Theory]
    [InlineData(SyncStatus.Disabled, true)]
    [InlineData(SyncStatus.Errored, true)]
    [InlineData(SyncStatus.Initializing, false)]
    [InlineData(SyncStatus.Active, false)]
    [InlineData(SyncStatus.Idle, false)]
    [InlineData(SyncStatus.RateLimited, false)]
    public void IsStopped_IsTrueOnlyForDisabledAndErrored(SyncStatus status, bool expected)
    {
        Assert.Equal(expected, SyncRules.IsStopped(status));
    }

    [Fact]
    public void Sync_Scope_IsProjectAndUser()
    {
        Assert.Equal(new Scope("proj-1", "user-1"), IdleSync().Scope);
    }

    [Fact]
    public void Invalid_IsAnInvalidArgumentWithOneFieldViolation()
    {
        var ex = DomainException.Invalid("frequency", "Must be one of 1m, 5m.");

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal("INVALID_ARGUMENT", ex.Reason);
        Assert.Equal("Must be one of 1m, 5m.", ex.Message);
        Assert.Equal([new FieldViolation("frequency", "Must be one of 1m, 5m.")], ex.Violations);
    }

    [Fact]
    public void SyncNotFound_IsNotFoundAndNamesTheSync()
    {
        var ex = DomainException.SyncNotFound("abc");

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Equal("SYNC_NOT_FOUND", ex.Reason);
        Assert.Equal("Sync not found: abc", ex.Message);
        Assert.Empty(ex.Violations);
    }

    [Fact]
    public void CredentialNotFound_IsNotFoundAndNamesTheCredential()
    {
        var ex = DomainException.CredentialNotFound("cred-9");

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Equal("CREDENTIAL_NOT_FOUND", ex.Reason);
        Assert.Equal("Credential not found: cred-9", ex.Message);
    }

    [Theory]
    [InlineData("cursor")]
    [InlineData("pageToken")]
    public void CursorExpired_IsAnInvalidArgumentOnTheFieldThatTellsToStartAgain(string field)
    {
        var ex = DomainException.CursorExpired(field);

        var expected = $"The {field} belongs to an earlier life of this Sync or was not issued by this API; start again without a {field}.";
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal("CURSOR_EXPIRED", ex.Reason);
        Assert.Equal(expected, ex.Message);
        Assert.Equal([new FieldViolation(field, expected)], ex.Violations);
    }

    [Fact]
    public void LatestCursor_IsTheCursorAfterTheLatestChangeOfThisLife()
    {
        var sync = IdleSync() with { LatestRecordSequence = 121 };

        Assert.Equal("Y3Vyc29yOjc6MTIx", sync.LatestCursor); // base64 of "cursor:7:121" (incarnation 7)
        Assert.Null((sync with { LatestRecordSequence = 0 }).LatestCursor); // no record yet
        Assert.NotEqual(sync.LatestCursor, (sync with { Incarnation = 8 }).LatestCursor);
    }
}
