using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>What UpdateSync refuses, on the wire: bodies without an updatable field, unknown keys, bad values.</summary>
public abstract class UpdateSyncValidationTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : UpdateSyncValidationTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : UpdateSyncValidationTests(server), IClassFixture<PostgresServer>;

    private const string AllowedFrequencies = "1m, 5m, 10m, 30m, 1h, 3h, 6h, 24h";

    [Theory, BothTransports]
    public async Task UpdateSync_WithNoFieldToUpdate_IsInvalidArgument(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.UpdateSync(transport, new UpdateSyncRequest { SyncId = sync.Id });

        var error = outcome.Fails(StatusCode.InvalidArgument);
        Assert.Contains("at least one", error.Message, StringComparison.OrdinalIgnoreCase);
        await AssertUnchanged(user, sync);
    }

    [Fact]
    public async Task UpdateSync_OverRest_WithAnEmptyObjectBody_Is400()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await Patch(user, sync.Id, "{}");

        outcome.Fails(StatusCode.InvalidArgument);
        await AssertUnchanged(user, sync);
    }

    [Fact]
    public async Task UpdateSync_OverRest_WithANullCredentialId_Is400BecauseNullMeansAbsent()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await Patch(user, sync.Id, """{"credentialId": null}""");

        outcome.Fails(StatusCode.InvalidArgument);
        await AssertUnchanged(user, sync);
    }

    [Fact]
    public async Task UpdateSync_OverRest_WithOnlyAnUnknownKey_Is400NamingIt()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await Patch(user, sync.Id, """{"foo": 1}""");

        var error = outcome.Fails(StatusCode.InvalidArgument);
        Assert.Contains("foo", error.Message);
        error.Violation("foo");
        await AssertUnchanged(user, sync);
    }

    [Fact]
    public async Task UpdateSync_OverRest_WithAnUnknownKeyNextToAValidOne_Is400NamingItAndChangesNothing()
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var other = await user.NewCredential(displayName: "Second");

        var outcome = await Patch(user, sync.Id, $$"""{"incrementalAccumulatorFrequency":"5m","credentialID":"{{other.Id}}"}""");

        var error = outcome.Fails(StatusCode.InvalidArgument);
        Assert.Contains("credentialID", error.Message);
        error.Violation("credentialID");
        Assert.DoesNotContain("incrementalAccumulatorFrequency", error.ViolatedFields());
        await AssertUnchanged(user, sync);
    }

    [Fact]
    public async Task UpdateSync_OverRest_AcceptsTheProtoFieldNamesToo()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        (await Patch(user, sync.Id, """{"incremental_accumulator_frequency":"30m"}""")).Ok();

        Assert.Equal("30m", (await user.Get(sync.Id)).IncrementalAccumulatorFrequency);
    }

    [Theory]
    [InlineData(Transport.Rest, "2m")]
    [InlineData(Transport.Grpc, "2m")]
    [InlineData(Transport.Rest, "1M")]
    [InlineData(Transport.Grpc, "1M")]
    [InlineData(Transport.Rest, "")]
    [InlineData(Transport.Grpc, "")]
    [InlineData(Transport.Rest, "60s")]
    public async Task UpdateSync_WithAFrequencyOutsideTheList_IsInvalidArgumentListingTheAllowedValues(Transport transport, string frequency)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.UpdateSync(transport, sync.Id, frequency: frequency);

        var description = outcome.Fails(StatusCode.InvalidArgument).Violation("incrementalAccumulatorFrequency");
        Assert.Contains(AllowedFrequencies, description);
        await AssertUnchanged(user, sync);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_WithACredentialIdThatIsNotAUuid_IsInvalidArgument(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: "abc");

        var description = outcome.Fails(StatusCode.InvalidArgument).Violation("credentialId");
        Assert.Contains("UUID", description);
        await AssertUnchanged(user, sync);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_WithAnEmptyCredentialId_IsInvalidArgument(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: "");

        outcome.Fails(StatusCode.InvalidArgument).Violation("credentialId");
        await AssertUnchanged(user, sync);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_WithABadCredentialAndABadFrequency_ReportsBothFields(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: "abc", frequency: "2m");

        var error = outcome.Fails(StatusCode.InvalidArgument);
        error.Violation("credentialId");
        error.Violation("incrementalAccumulatorFrequency");
    }

    [Theory, BothTransports]
    public async Task UpdateSync_WithAMalformedSyncId_IsInvalidArgument(Transport transport)
    {
        var outcome = await NewUser().UpdateSync(transport, "not-a-uuid", frequency: "5m");

        outcome.Fails(StatusCode.InvalidArgument).Violation("syncId");
    }

    [Theory]
    [InlineData("""{"incrementalAccumulatorFrequency": 5}""")]
    [InlineData("""{"incrementalAccumulatorFrequency": ["5m"]}""")]
    [InlineData("""{"credentialId": 42}""")]
    [InlineData("""{"incrementalAccumulatorFrequency": """)]
    [InlineData("""["5m"]""")]
    [InlineData("""not json""")]
    public async Task UpdateSync_OverRest_WithABodyThatIsNotAnUpdateSyncObject_Is400WithAStatusBody(string body)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var response = await user.Rest(HttpMethod.Patch, $"/api/syncs/{sync.Id}", body);

        Assert.Equal(400, response.Status);
        Assert.Equal((int)StatusCode.InvalidArgument, response.Body.GetProperty("code").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.String, response.Body.GetProperty("message").ValueKind);
        await AssertUnchanged(user, sync);
    }

    [Fact]
    public async Task UpdateSync_OverRest_WithoutABody_Is400()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var response = await user.Rest(HttpMethod.Patch, $"/api/syncs/{sync.Id}");

        Assert.Equal(400, response.Status);
        await AssertUnchanged(user, sync);
    }

    [Fact]
    public async Task UpdateSync_OverRest_WithTheSyncIdRepeatedInTheBody_Is400NamingIt()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await Patch(user, sync.Id, $$"""{"syncId":"{{sync.Id}}","incrementalAccumulatorFrequency":"5m"}""");

        outcome.Fails(StatusCode.InvalidArgument).Violation("syncId");
        await AssertUnchanged(user, sync);
    }

    private static Task<Outcome<UpdateSyncResponse>> Patch(TestUser user, string syncId, string rawJson) =>
        user.RawUpdateSync(syncId, rawJson);

    private static async Task AssertUnchanged(TestUser user, Sync before)
    {
        var after = await user.Get(before.Id);
        Assert.Equal(before.Etag, after.Etag);
        Assert.Equal(before.CredentialId, after.CredentialId);
        Assert.False(after.HasIncrementalAccumulatorFrequency, $"frequency changed to {after.IncrementalAccumulatorFrequency}");
        Assert.Single(await user.Runs(before.Id));
    }
}
