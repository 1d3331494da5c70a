using System.Text.Json;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

public abstract class GetSyncTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : GetSyncTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : GetSyncTests(server), IClassFixture<PostgresServer>;

    [Theory, BothTransports]
    public async Task GetSync_ShowsStatusSummaryCredentialEtagScheduleAndTheInitialPendingRun(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential();
        var enabled = await user.NewSync(credential.Id);

        var outcome = await user.GetSync(transport, enabled.Id);

        var sync = outcome.Ok();
        Assert.Equal(enabled.Id, sync.Id);
        Assert.Equal(SyncStatus.Initializing, sync.Status);
        Assert.Equal(credential.Id, sync.CredentialId);
        Assert.Equal(0, sync.Summary.TotalRecords);
        Assert.Equal(0, sync.Summary.SyncedRecordsCount);
        Assert.NotEmpty(sync.Etag);
        Assert.Equal(enabled.Etag, sync.Etag);
        Assert.False(sync.HasIncrementalAccumulatorFrequency, "incrementalAccumulatorFrequency is present but was never set.");
        // The default frequency is 1m: the first incremental run is planned one minute after enable.
        Assert.Equal(sync.DateCreated.ToDateTimeOffset().AddMinutes(1), sync.NextRunAt.ToDateTimeOffset());
        Assert.NotNull(sync.PendingRun);
        Assert.Equal(SyncRunState.Queued, sync.PendingRun.State);
        Assert.Equal(SyncRunType.Initial, sync.PendingRun.Type);
        Assert.Equal(SyncRunTrigger.Enable, sync.PendingRun.Trigger);
        Assert.Equal(sync.Id, sync.PendingRun.SyncId);
        Assert.Null(sync.RunningRun);

        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal("INITIALIZING", json.GetProperty("status").GetString());
            Assert.False(json.TryGetProperty("incrementalAccumulatorFrequency", out _),
                "incrementalAccumulatorFrequency must be absent until it is set explicitly.");
            var summary = json.GetProperty("summary");
            Assert.Equal(JsonValueKind.Number, summary.GetProperty("totalRecords").ValueKind);
            Assert.Equal(JsonValueKind.Number, summary.GetProperty("syncedRecordsCount").ValueKind);
            Assert.Equal(JsonValueKind.String, json.GetProperty("etag").ValueKind);
            Assert.Equal(JsonValueKind.String, json.GetProperty("nextRunAt").ValueKind);
            var pending = json.GetProperty("pendingRun");
            Assert.Equal("QUEUED", pending.GetProperty("state").GetString());
            Assert.Equal("INITIAL", pending.GetProperty("type").GetString());
            Assert.Equal("ENABLE", pending.GetProperty("trigger").GetString());
            Assert.False(json.Has("rateLimitBackoffMs"), "rateLimitBackoffMs is only for RATE_LIMITED Syncs.");
        }
    }

    [Theory, BothTransports]
    public async Task GetSync_ShowsTheFrequencyOnceItIsSetExplicitly(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.UpdateSync(Transport.Grpc, sync.Id, frequency: "1m")).Ok();

        var outcome = await user.GetSync(transport, sync.Id);

        Assert.Equal("1m", outcome.Ok().IncrementalAccumulatorFrequency);
        if (transport == Transport.Rest)
        {
            Assert.Equal("1m", outcome.RestJson().GetProperty("incrementalAccumulatorFrequency").GetString());
        }
    }

    [Theory, BothTransports]
    public async Task GetSync_OfAnUnknownId_IsNotFound(Transport transport)
    {
        var outcome = await NewUser().GetSync(transport, Guid.NewGuid().ToString());

        Assert.Equal("SYNC_NOT_FOUND", outcome.Fails(StatusCode.NotFound).Reason());
    }

    [Theory, BothTransports]
    public async Task GetSync_WithAMalformedId_IsInvalidArgument(Transport transport)
    {
        var outcome = await NewUser().GetSync(transport, "not-a-uuid");

        outcome.Fails(StatusCode.InvalidArgument).Violation("syncId");
    }

    [Theory, BothTransports]
    public async Task AnotherUsersSync_IsNotFoundForEveryMethod(Transport transport)
    {
        var owner = NewUser();
        var sync = await owner.NewSync();
        var stranger = NewUser();
        var strangersCredential = await stranger.NewCredential();

        (await stranger.GetSync(transport, sync.Id)).Fails(StatusCode.NotFound);
        (await stranger.UpdateSync(transport, sync.Id, frequency: "5m")).Fails(StatusCode.NotFound);
        (await stranger.UpdateSync(transport, sync.Id, credentialId: strangersCredential.Id)).Fails(StatusCode.NotFound);
        (await stranger.DisableSync(transport, sync.Id)).Fails(StatusCode.NotFound);
        (await stranger.ReenableSync(transport, sync.Id)).Fails(StatusCode.NotFound);
        (await stranger.ListSyncRuns(transport, sync.Id)).Fails(StatusCode.NotFound);
        (await stranger.DeleteSync(transport, sync.Id)).Fails(StatusCode.NotFound);
        Assert.Empty((await stranger.ListSyncs(transport)).Ok().Data);

        var unchanged = await owner.Get(sync.Id);
        Assert.Equal(sync.Etag, unchanged.Etag);
        Assert.Equal(SyncStatus.Initializing, unchanged.Status);
    }

    [Theory, BothTransports]
    public async Task GetSync_ThroughAnotherProjectWithTheSameSub_IsNotFound(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var sameSubInProjectB = Server.ForUser(user.UserId, ServerFixture.ProjectB);

        (await sameSubInProjectB.GetSync(transport, sync.Id)).Fails(StatusCode.NotFound);
        Assert.Empty((await sameSubInProjectB.ListSyncs(transport)).Ok().Data);
        Assert.Empty((await sameSubInProjectB.ListCredentials(transport)).Ok().Data);
        (await user.GetSync(transport, sync.Id)).Ok();
    }

    [Fact]
    public async Task GetSync_OverRest_HasTheDocumentedStatusFields()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var response = await user.Rest(HttpMethod.Get, $"/api/syncs/{sync.Id}");

        Assert.Equal(200, response.Status);
        var summary = response.Body.GetProperty("summary");
        Assert.Equal(0, summary.GetProperty("totalRecords").GetInt64());
        Assert.Equal(0, summary.GetProperty("syncedRecordsCount").GetInt64());
        Assert.DoesNotContain("SYNC_STATUS_", response.Text);
        Assert.DoesNotContain("SYNC_RUN_", response.Text);
    }
}
