using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

public class SyncRulesCredentialRejectedTests
{
    [Fact]
    public void CredentialRejected_ErrorsTheSyncWithParagonsReason_CancelsItsRuns_AndAnnouncesSyncErrored()
    {
        var running = Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running);

        var change = SyncRules.CredentialRejected(Snapshot(IdleSync(), running), Now);

        Assert.Equal(SyncStatus.Errored, change.NewSync!.Status);
        Assert.StartsWith("Credentials are no longer valid. Please re-authenticate", change.NewSync.Reason, StringComparison.Ordinal);
        Assert.Null(change.NewSync.NextRunAt);
        Assert.Equal(RunState.Cancelled, Assert.Single(change.RunsToUpdate).State);
        var errored = Assert.Single(change.Events, e => e.Type == EventTypes.SyncErrored);
        var data = System.Text.Json.Nodes.JsonNode.Parse(errored.DataJson)!;
        Assert.Equal(SyncEvents.CredentialRejectedCode, (string?)data["error"]?["code"]);
        Assert.Equal(SyncRules.CredentialRejectedReason, (string?)data["error"]?["message"]);
    }

    [Fact]
    public void CredentialRejected_OnASyncAlreadyRejected_ChangesNothing()
    {
        var rejected = SyncRules.CredentialRejected(Snapshot(IdleSync()), Now).NewSync!;

        Assert.Null(SyncRules.CredentialRejected(Snapshot(rejected), Now.AddMinutes(1)).NewSync);
    }

    [Fact]
    public void Update_WithANewCredential_ResumesASyncStoppedByARejectedCredential_WithOneFullRun()
    {
        var rejected = SyncRules.CredentialRejected(Snapshot(IdleSync()), Now).NewSync!;

        var change = SyncRules.Update(Snapshot(rejected), new UpdateSyncCommand(CredentialB, null, null), Now.AddMinutes(1));

        Assert.Equal(SyncStatus.Idle, change.NewSync!.Status);
        Assert.Null(change.NewSync.Reason);
        Assert.Equal(CredentialB, change.NewSync.CredentialId);
        Assert.NotNull(change.NewSync.NextRunAt);
        var full = Assert.Single(change.RunsToInsert);
        Assert.Equal((RunType.Full, RunTrigger.CredentialChange), (full.Type, full.Trigger));
    }

    [Fact]
    public void Update_WithANewCredential_LeavesASyncErroredForAnotherReasonErrored()
    {
        var deleted = SyncRules.CredentialDeleted(Snapshot(IdleSync()), CredentialA, Now).NewSync!;

        var change = SyncRules.Update(Snapshot(deleted), new UpdateSyncCommand(CredentialB, null, null), Now.AddMinutes(1));

        Assert.Equal(SyncStatus.Errored, change.NewSync!.Status); // as before: re-enable after the rebind
    }
}
