using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

public class SyncRulesCredentialDeletedTests
{
    [Fact]
    public void CredentialDeleted_MarksTheSyncErroredWithTheReferenceReason()
    {
        var change = SyncRules.CredentialDeleted(Snapshot(IdleSync()), CredentialA, Now);

        Assert.NotNull(change.NewSync);
        Assert.Equal(SyncStatus.Errored, change.NewSync.Status);
        Assert.Equal(
            "Credential ID [aaaaaaaa-0000-4000-8000-000000000001] is no longer valid or has been deleted.",
            change.NewSync.Reason);
        Assert.Null(change.NewSync.NextRunAt);
        Assert.Equal(6, change.NewSync.Version);
        Assert.Equal(Now, change.NewSync.UpdatedAt);
        Assert.Same(change.NewSync, change.Result);
    }

    [Fact]
    public void CredentialGoneReason_WritesTheIdInLowerCaseHyphenatedForm()
    {
        Assert.Equal(
            "Credential ID [bbbbbbbb-0000-4000-8000-000000000002] is no longer valid or has been deleted.",
            SyncRules.CredentialGoneReason(new Guid("BBBBBBBB-0000-4000-8000-000000000002")));
    }

    [Fact]
    public void CredentialDeleted_CancelsEveryOpenRun()
    {
        var queued = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Queued);
        var running = Run(RunType.Initial, RunTrigger.Enable, RunState.Running);
        var reconcile = Run(RunType.Full, RunTrigger.CredentialChange, RunState.Queued);

        var change = SyncRules.CredentialDeleted(Snapshot(IdleSync(), queued, running, reconcile), CredentialA, Now);

        Assert.Equal(new[] { queued.Id, running.Id, reconcile.Id }.Order(), change.RunsToUpdate.Select(r => r.Id).Order());
        Assert.All(change.RunsToUpdate, r =>
        {
            Assert.Equal(RunState.Cancelled, r.State);
            Assert.Equal(Now, r.FinishedAt);
        });
        Assert.Empty(change.RunsToInsert);
    }

    [Fact]
    public void CredentialDeleted_WithoutOpenRuns_OnlyChangesTheSync()
    {
        var change = SyncRules.CredentialDeleted(Snapshot(IdleSync()), CredentialA, Now);

        Assert.Empty(change.RunsToUpdate);
        Assert.Empty(change.RunsToInsert);
    }
}
