using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

public abstract class EnableSyncTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : EnableSyncTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : EnableSyncTests(server), IClassFixture<PostgresServer>;

    [Theory, BothTransports]
    public async Task EnableSync_ReturnsAnInitializingSyncWithAVersion5Id(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential();

        var outcome = await user.EnableSync(transport, TestUser.EnableRequest("files", "x", credential.Id));

        var sync = outcome.Ok();
        Assert.True(Guid.TryParseExact(sync.Id, "D", out _), $"id is not a UUID: {sync.Id}");
        Assert.Equal('5', sync.Id.Replace("-", "", StringComparison.Ordinal)[12]);
        Assert.Equal(user.UserId, sync.UserId);
        Assert.Equal(ServerFixture.ProjectA, sync.ProjectId);
        Assert.Equal("googledrive", sync.Integration);
        Assert.Equal("files", sync.Pipeline);
        Assert.Equal(SyncStatus.Initializing, sync.Status);
        Assert.Equal(credential.Id, sync.CredentialId);
        Assert.Equal("default", sync.ConfigurationName);
        Assert.Equal("x", sync.Configuration.Fields["folder"].StringValue);
        Assert.False(sync.HasIncrementalAccumulatorFrequency);
        Assert.Equal(0, sync.Summary.TotalRecords);
        Assert.NotEmpty(sync.Etag);
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal("INITIALIZING", json.GetProperty("status").GetString());
            Assert.Equal(user.UserId, json.GetProperty("userId").GetString());
            Assert.Equal("proj-a", json.GetProperty("projectId").GetString());
            Assert.Equal(credential.Id, json.GetProperty("credentialId").GetString());
            var summary = json.GetProperty("summary");
            Assert.Equal(JsonValueKind.Number, summary.GetProperty("totalRecords").ValueKind);
            Assert.Equal(0, summary.GetProperty("totalRecords").GetInt64());
            Assert.Equal(JsonValueKind.Number, summary.GetProperty("syncedRecordsCount").ValueKind);
            Assert.False(json.TryGetProperty("incrementalAccumulatorFrequency", out _));
        }
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithoutCredentialId_BindsTheUsersOldestCredentialOfThatIntegration(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential("salesforce", "Other integration, oldest of all");
        await Task.Delay(5);
        var oldest = await user.NewCredential("googledrive", "Oldest drive");
        await Task.Delay(5);
        await user.NewCredential("googledrive", "Newer drive");

        var sync = (await user.EnableSync(transport, TestUser.EnableRequest())).Ok();

        Assert.Equal(oldest.Id, sync.CredentialId);
    }

    [Theory, BothTransports]
    public async Task EnableSync_AgainWithTheSameBody_ReturnsTheSameSync(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential();
        var first = (await user.EnableSync(transport, TestUser.EnableRequest("files", "x", credential.Id))).Ok();

        var again = (await user.EnableSync(transport, TestUser.EnableRequest("files", "x", credential.Id))).Ok();
        var withoutCredential = (await user.EnableSync(transport, TestUser.EnableRequest("files", "x"))).Ok();

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(first.Id, withoutCredential.Id);
        Assert.Equal(first.Etag, again.Etag);
        Assert.Single((await user.ListSyncs(transport)).Ok().Data);
        Assert.Single(await user.Runs(first.Id));
    }

    [Theory, BothTransports]
    public async Task EnableSync_AgainWithADifferentConfiguration_IsAlreadyExists(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync(folder: "x");

        var outcome = await user.EnableSync(transport, TestUser.EnableRequest("files", "y"));

        var error = outcome.Fails(StatusCode.AlreadyExists);
        Assert.Contains(sync.Id, error.Message);
        Assert.Equal("x", (await user.Get(sync.Id)).Configuration.Fields["folder"].StringValue);
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithADifferentConfigurationName_CreatesASecondSync(Transport transport)
    {
        var user = NewUser();
        var first = await user.NewSync();
        var request = TestUser.EnableRequest("files", "y");
        request.ConfigurationName = "second";

        var second = (await user.EnableSync(transport, request)).Ok();

        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal("second", second.ConfigurationName);
        Assert.Equal(2, (await user.ListSyncs(transport)).Ok().Data.Count);
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithoutACredentialForThatIntegration_IsFailedPrecondition(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential("salesforce");

        var outcome = await user.EnableSync(transport, TestUser.EnableRequest());

        Assert.Equal("NO_CREDENTIAL", outcome.Fails(StatusCode.FailedPrecondition).Reason());
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithACredentialIdThatIsNotAUuid_IsInvalidArgument(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential();

        var outcome = await user.EnableSync(transport, TestUser.EnableRequest(credentialId: "abc"));

        outcome.Fails(StatusCode.InvalidArgument).Violation("credentialId");
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithAnotherUsersCredential_IsNotFound(Transport transport)
    {
        var stranger = await NewUser().NewCredential();
        var user = NewUser();
        await user.NewCredential();

        var outcome = await user.EnableSync(transport, TestUser.EnableRequest(credentialId: stranger.Id));

        outcome.Fails(StatusCode.NotFound);
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithACredentialOfAnotherIntegration_IsFailedPrecondition(Transport transport)
    {
        var user = NewUser();
        var salesforce = await user.NewCredential("salesforce");

        var outcome = await user.EnableSync(transport, TestUser.EnableRequest(credentialId: salesforce.Id));

        outcome.Fails(StatusCode.FailedPrecondition).Violation("credentialId");
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithAnInvalidFrequency_IsInvalidArgumentListingTheAllowedValues(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential();
        var request = TestUser.EnableRequest();
        request.IncrementalAccumulatorFrequency = "2m";

        var outcome = await user.EnableSync(transport, request);

        var description = outcome.Fails(StatusCode.InvalidArgument).Violation("incrementalAccumulatorFrequency");
        Assert.Contains("1m, 5m, 10m, 30m, 1h, 3h, 6h, 24h", description);
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithAFrequency_StoresIt(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential();
        var request = TestUser.EnableRequest();
        request.IncrementalAccumulatorFrequency = "30m";

        var sync = (await user.EnableSync(transport, request)).Ok();

        Assert.Equal("30m", sync.IncrementalAccumulatorFrequency);
        Assert.Equal(sync.DateCreated.ToDateTimeOffset().AddMinutes(30), sync.NextRunAt.ToDateTimeOffset());
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithoutIntegrationAndPipeline_IsInvalidArgumentNamingBoth(Transport transport)
    {
        var outcome = await NewUser().EnableSync(transport, new EnableSyncRequest { Configuration = new Struct() });

        var error = outcome.Fails(StatusCode.InvalidArgument);
        Assert.Contains("integration", error.ViolatedFields());
        Assert.Contains("pipeline", error.ViolatedFields());
    }

    [Theory, BothTransports]
    public async Task EnableSync_AfterDelete_GivesBackTheSameId(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential();
        var first = (await user.EnableSync(transport, TestUser.EnableRequest("files", "x", credential.Id))).Ok();
        (await user.DeleteSync(transport, first.Id)).Ok();

        var again = (await user.EnableSync(transport, TestUser.EnableRequest("files", "x", credential.Id))).Ok();

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(SyncStatus.Initializing, again.Status);
        var run = Assert.Single(await user.Runs(again.Id));
        Assert.Equal(SyncRunType.Initial, run.Type);
    }

    [Fact]
    public async Task EnableSync_AgainWithTheSameConfigurationInAnotherKeyOrder_ReturnsTheSameSync()
    {
        var user = NewUser();
        await user.NewCredential();

        var first = await user.Rest(HttpMethod.Post, "/api/syncs",
            """{"integration":"googledrive","pipeline":"files","configuration":{"folder":"x","depth":2}}""");
        var again = await user.Rest(HttpMethod.Post, "/api/syncs",
            """{"configuration":{"depth":2,"folder":"x"},"pipeline":"files","integration":"googledrive"}""");

        Assert.Equal(200, first.Status);
        Assert.Equal(200, again.Status);
        Assert.Equal(first.Body.GetProperty("id").GetString(), again.Body.GetProperty("id").GetString());
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithADeletedCredential_IsNotFound(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential(displayName: "Still there");
        var deleted = await user.NewCredential(displayName: "Gone");
        (await user.DeleteCredential(Transport.Grpc, deleted.Id)).Ok();

        var outcome = await user.EnableSync(transport, TestUser.EnableRequest(credentialId: deleted.Id));

        outcome.Fails(StatusCode.NotFound);
    }

    [Theory, BothTransports]
    public async Task EnableSync_WithoutCredentialId_SkipsDeletedCredentials(Transport transport)
    {
        var user = NewUser();
        var oldest = await user.NewCredential(displayName: "Oldest, deleted");
        await Task.Delay(5);
        var next = await user.NewCredential(displayName: "Next");
        (await user.DeleteCredential(Transport.Grpc, oldest.Id)).Ok();

        var sync = (await user.EnableSync(transport, TestUser.EnableRequest())).Ok();

        Assert.Equal(next.Id, sync.CredentialId);
    }

    [Fact]
    public async Task EnableSync_ForTheSameCombination_GivesEachUserTheirOwnId()
    {
        var alice = NewUser();
        var bob = NewUser();

        var aliceSync = await alice.NewSync();
        var bobSync = await bob.NewSync();

        Assert.NotEqual(aliceSync.Id, bobSync.Id);
    }

    [Fact]
    public async Task EnableSync_OverRest_AnswersWithTheCamelCaseShape()
    {
        var user = NewUser();
        await user.NewCredential();

        var response = await user.Rest(HttpMethod.Post, "/api/syncs",
            """{"integration":"googledrive","pipeline":"files","configuration":{"folder":"x"}}""");

        Assert.Equal(200, response.Status);
        var body = response.Body;
        foreach (var key in new[] { "id", "userId", "integration", "pipeline", "projectId", "status", "summary", "credentialId", "etag", "dateCreated" })
        {
            Assert.True(body.Has(key), $"missing '{key}' in {response.Text}");
        }
        Assert.False(body.TryGetProperty("user_id", out _));
        Assert.Equal("x", body.GetProperty("configuration").GetProperty("folder").GetString());
    }
}
