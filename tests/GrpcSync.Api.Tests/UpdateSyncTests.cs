using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>PATCH /api/syncs/{id} (UpdateSync): what it answers, what it changes and which runs it queues.</summary>
public abstract class UpdateSyncTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : UpdateSyncTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : UpdateSyncTests(server), IClassFixture<PostgresServer>;

    private const string Accepted = "Update request accepted and is being processed";

    [Theory, BothTransports]
    public async Task UpdateSync_WithFrequencyOnly_AnswersIdDataWithOnlyThatFieldAndTheAcceptedMessage(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.UpdateSync(transport, sync.Id, frequency: "5m");

        var response = outcome.Ok();
        Assert.Equal(sync.Id, response.Id);
        Assert.Equal(Accepted, response.Message);
        Assert.Equal("5m", response.Data.IncrementalAccumulatorFrequency);
        Assert.False(response.Data.HasCredentialId, "data echoes a credentialId that was not sent.");
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal(new[] { "data", "id", "message" }, json.Keys());
            Assert.Equal(sync.Id, json.GetProperty("id").GetString());
            Assert.Equal(Accepted, json.GetProperty("message").GetString());
            var data = json.GetProperty("data");
            Assert.Equal(new[] { "incrementalAccumulatorFrequency" }, data.Keys());
            Assert.Equal("5m", data.GetProperty("incrementalAccumulatorFrequency").GetString());
        }
    }

    [Theory, BothTransports]
    public async Task UpdateSync_WithCredentialOnly_EchoesOnlyTheCredential(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var other = await user.NewCredential(displayName: "Second account");

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: other.Id);

        var response = outcome.Ok();
        Assert.Equal(sync.Id, response.Id);
        Assert.Equal(other.Id, response.Data.CredentialId);
        Assert.False(response.Data.HasIncrementalAccumulatorFrequency, "data echoes a frequency that was not sent.");
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal(new[] { "data", "id", "message" }, json.Keys());
            Assert.Equal(new[] { "credentialId" }, json.GetProperty("data").Keys());
            Assert.Equal(other.Id, json.GetProperty("data").GetProperty("credentialId").GetString());
        }
    }

    [Theory, BothTransports]
    public async Task UpdateSync_WithBothFields_EchoesBoth_AndGetSyncShowsTheNewValues(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var other = await user.NewCredential(displayName: "Second account");

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: other.Id, frequency: "6h");

        var response = outcome.Ok();
        Assert.Equal(other.Id, response.Data.CredentialId);
        Assert.Equal("6h", response.Data.IncrementalAccumulatorFrequency);
        if (transport == Transport.Rest)
        {
            Assert.Equal(new[] { "credentialId", "incrementalAccumulatorFrequency" }, outcome.RestJson().GetProperty("data").Keys());
        }
        var updated = (await user.GetSync(transport, sync.Id)).Ok();
        Assert.Equal(other.Id, updated.CredentialId);
        Assert.Equal("6h", updated.IncrementalAccumulatorFrequency);
        Assert.NotEqual(sync.Etag, updated.Etag);
        Assert.Equal(SyncStatus.Initializing, updated.Status);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_WithFrequencyOnly_QueuesNoFullRunAndReplansTheNextRun(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var createdAt = sync.DateCreated.ToDateTimeOffset();
        Assert.Equal(createdAt.AddMinutes(1), sync.NextRunAt.ToDateTimeOffset());

        (await user.UpdateSync(transport, sync.Id, frequency: "1h")).Ok();

        var updated = await user.Get(sync.Id);
        Assert.Equal("1h", updated.IncrementalAccumulatorFrequency);
        Assert.Equal(createdAt.AddHours(1), updated.NextRunAt.ToDateTimeOffset());
        Assert.Equal(SyncRunType.Initial, updated.PendingRun.Type);
        var run = Assert.Single(await user.Runs(sync.Id));
        Assert.Equal(SyncRunType.Initial, run.Type);
        Assert.Equal(SyncRunState.Queued, run.State);
        Assert.Equal(sync.CredentialId, updated.CredentialId);

        (await user.UpdateSync(transport, sync.Id, frequency: "24h")).Ok();

        Assert.Equal(createdAt.AddHours(24), (await user.Get(sync.Id)).NextRunAt.ToDateTimeOffset());
        Assert.Single(await user.Runs(sync.Id));
    }

    [Theory, BothTransports]
    public async Task UpdateSync_ToAShorterFrequency_PlansTheNextRunOneNewIntervalAfterEnable(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync(frequency: "24h");

        (await user.UpdateSync(transport, sync.Id, frequency: "1m")).Ok();

        // No run has started: the new interval counts from the enable (a minute ahead, so not yet
        // past). When anchor + interval is already past, the run is due now instead; that needs a
        // clock the API tests cannot move (SyncRulesUpdateTests: ..._LastRunLongAgo_PlansNextRunNow...).
        var next = (await user.Get(sync.Id)).NextRunAt.ToDateTimeOffset();
        Assert.Equal(sync.DateCreated.ToDateTimeOffset().AddMinutes(1), next);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_ToADifferentCredential_QueuesExactlyOneFullRunForTheCredentialChange(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var other = await user.NewCredential(displayName: "Second account");

        (await user.UpdateSync(transport, sync.Id, credentialId: other.Id)).Ok();

        var runs = await user.Runs(sync.Id);
        Assert.Equal(2, runs.Count);
        var full = Assert.Single(runs, r => r.Type == SyncRunType.Full);
        Assert.Equal(SyncRunTrigger.CredentialChange, full.Trigger);
        Assert.Equal(SyncRunState.Queued, full.State);
        Assert.Single(runs, r => r.Type == SyncRunType.Initial && r.State == SyncRunState.Queued);
        Assert.Equal(other.Id, (await user.Get(sync.Id)).CredentialId);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_ToTheSameCredential_QueuesNothingAndChangesNothing(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var response = (await user.UpdateSync(transport, sync.Id, credentialId: sync.CredentialId)).Ok();

        Assert.Equal(sync.CredentialId, response.Data.CredentialId);
        var run = Assert.Single(await user.Runs(sync.Id));
        Assert.Equal(SyncRunType.Initial, run.Type);
        Assert.Equal(sync.Etag, (await user.Get(sync.Id)).Etag);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_TwoQuickCredentialChanges_LeaveOnePendingFullRun(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var second = await user.NewCredential(displayName: "Second");
        var third = await user.NewCredential(displayName: "Third");

        (await user.UpdateSync(transport, sync.Id, credentialId: second.Id)).Ok();
        (await user.UpdateSync(transport, sync.Id, credentialId: third.Id)).Ok();
        (await user.UpdateSync(transport, sync.Id, credentialId: sync.CredentialId)).Ok();

        var runs = await user.Runs(sync.Id);
        var full = Assert.Single(runs, r => r.Type == SyncRunType.Full);
        Assert.Equal(SyncRunState.Queued, full.State);
        Assert.Equal(SyncRunTrigger.CredentialChange, full.Trigger);
        Assert.Equal(sync.CredentialId, (await user.Get(sync.Id)).CredentialId);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_ToAnUnknownCredential_IsNotFound(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: Guid.NewGuid().ToString());

        Assert.Equal("CREDENTIAL_NOT_FOUND", outcome.Fails(StatusCode.NotFound).Reason());
        await AssertUnchanged(user, sync);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_ToAnotherUsersCredential_IsNotFound(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var strangers = await NewUser().NewCredential();

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: strangers.Id);

        outcome.Fails(StatusCode.NotFound);
        await AssertUnchanged(user, sync);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_ToACredentialOfAnotherIntegration_IsFailedPrecondition(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var salesforce = await user.NewCredential("salesforce");

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: salesforce.Id);

        var error = outcome.Fails(StatusCode.FailedPrecondition);
        Assert.Equal("CREDENTIAL_INTEGRATION_MISMATCH", error.Reason());
        error.Violation("credentialId");
        await AssertUnchanged(user, sync);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_ToADeletedCredential_IsNotFound(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var other = await user.NewCredential(displayName: "Soon gone");
        (await user.DeleteCredential(Transport.Grpc, other.Id)).Ok();

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: other.Id);

        outcome.Fails(StatusCode.NotFound);
        await AssertUnchanged(user, sync);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_ToTheSyncsOwnCredentialAfterItWasDeleted_IsNotFound(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DeleteCredential(Transport.Grpc, sync.CredentialId)).Ok();

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: sync.CredentialId);

        outcome.Fails(StatusCode.NotFound);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_OfAnUnknownSync_IsNotFound(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential();

        (await user.UpdateSync(transport, Guid.NewGuid().ToString(), frequency: "5m")).Fails(StatusCode.NotFound);
        (await user.UpdateSync(transport, Guid.NewGuid().ToString(), credentialId: credential.Id)).Fails(StatusCode.NotFound);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_OnADisabledSync_StoresTheValuesKeepsItDisabled_AndReenableLeavesTheFullRunPending(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var other = await user.NewCredential(displayName: "Second account");
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();

        var response = (await user.UpdateSync(transport, sync.Id, credentialId: other.Id, frequency: "3h")).Ok();

        Assert.Equal(Accepted, response.Message);
        var disabled = await user.Get(sync.Id);
        Assert.Equal(SyncStatus.Disabled, disabled.Status);
        Assert.Equal(other.Id, disabled.CredentialId);
        Assert.Equal("3h", disabled.IncrementalAccumulatorFrequency);
        Assert.Null(disabled.NextRunAt);

        var reenabled = (await user.ReenableSync(transport, sync.Id)).Ok();

        Assert.Equal(SyncStatus.Initializing, reenabled.Status);
        Assert.NotNull(reenabled.NextRunAt);
        Assert.NotNull(reenabled.PendingRun);
        var open = (await user.Runs(sync.Id)).Where(r => r.State == SyncRunState.Queued).ToArray();
        var full = Assert.Single(open, r => r.Type == SyncRunType.Full);
        Assert.Equal(SyncRunTrigger.CredentialChange, full.Trigger);
        Assert.Equal("3h", reenabled.IncrementalAccumulatorFrequency);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_OnASyncErroredByACredentialDeletion_RebindsIt_AndReenableRecoversIt(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DeleteCredential(Transport.Grpc, sync.CredentialId)).Ok();
        var errored = await user.Get(sync.Id);
        Assert.Equal(SyncStatus.Errored, errored.Status);
        Assert.Equal($"Credential ID [{sync.CredentialId}] is no longer valid or has been deleted.", errored.Reason);
        Assert.Null(errored.NextRunAt);
        Assert.Null(errored.PendingRun);
        var replacement = await user.NewCredential(displayName: "Reconnected");

        (await user.UpdateSync(transport, sync.Id, credentialId: replacement.Id)).Ok();
        var reenabled = (await user.ReenableSync(transport, sync.Id)).Ok();

        Assert.Equal(replacement.Id, reenabled.CredentialId);
        Assert.NotEqual(SyncStatus.Errored, reenabled.Status);
        Assert.Equal("", reenabled.Reason);
        Assert.Contains(await user.Runs(sync.Id),
            r => r.Type == SyncRunType.Full && r.Trigger == SyncRunTrigger.CredentialChange && r.State == SyncRunState.Queued);
    }

    [Fact]
    public async Task UpdateSync_OverRest_AnswersExactlyTheReferenceBody()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var response = await user.Rest(HttpMethod.Patch, $"/api/syncs/{sync.Id}", """{"incrementalAccumulatorFrequency":"10m"}""");

        Assert.Equal(200, response.Status);
        Assert.Equal(
            $$"""{"id":"{{sync.Id}}","data":{"incrementalAccumulatorFrequency":"10m"},"message":"{{Accepted}}"}""",
            System.Text.Json.JsonSerializer.Serialize(response.Body));
    }

    [Theory, BothTransports]
    public async Task UpdateSyncAndDeleteSync_ThroughAnUppercaseId_AnswerWithTheSyncsCanonicalId(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var upper = sync.Id.ToUpperInvariant();

        var updated = (await user.UpdateSync(transport, upper, frequency: "5m")).Ok();
        var deleted = (await user.DeleteSync(transport, upper)).Ok();

        Assert.Equal(sync.Id, updated.Id);
        Assert.Equal(sync.Id, deleted.Id);
    }

    private static async Task AssertUnchanged(TestUser user, Sync before)
    {
        var after = await user.Get(before.Id);
        Assert.Equal(before.Etag, after.Etag);
        Assert.Equal(before.CredentialId, after.CredentialId);
        Assert.Equal(before.HasIncrementalAccumulatorFrequency, after.HasIncrementalAccumulatorFrequency);
        Assert.Single(await user.Runs(before.Id));
    }
}
