using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests;

public abstract class ListSyncsTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : ListSyncsTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : ListSyncsTests(server), IClassFixture<PostgresServer>;

    [Theory, BothTransports]
    public async Task ListSyncs_ReturnsOnlyTheCallersSyncsInData(Transport transport)
    {
        var user = NewUser();
        var files = await user.NewSync(pipeline: "files");
        await Task.Delay(5);
        var folders = await user.NewSync(pipeline: "folders");
        await NewUser().NewSync();

        var outcome = await user.ListSyncs(transport);

        // Oldest first.
        Assert.Equal(new[] { files.Id, folders.Id }, outcome.Ok().Data.Select(s => s.Id).ToArray());
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal(new[] { "data" }, json.Keys());
            Assert.All(json.GetProperty("data").EnumerateArray(), s =>
            {
                Assert.True(s.Has("id"));
                Assert.True(s.Has("integration"));
                Assert.True(s.Has("pipeline"));
                Assert.Equal("INITIALIZING", s.GetProperty("status").GetString());
            });
        }
    }

    [Theory, BothTransports]
    public async Task ListSyncs_WithACredentialIdFilter_ReturnsOnlySyncsBoundToIt(Transport transport)
    {
        var user = NewUser();
        var first = await user.NewCredential();
        var second = await user.NewCredential();
        var boundToFirst = await user.NewSync(first.Id, pipeline: "files");
        var boundToSecond = await user.NewSync(second.Id, pipeline: "folders");

        var onlyFirst = (await user.ListSyncs(transport, first.Id)).Ok().Data;
        var onlySecond = (await user.ListSyncs(transport, second.Id)).Ok().Data;
        var unused = (await user.ListSyncs(transport, Guid.NewGuid().ToString())).Ok().Data;

        Assert.Equal(boundToFirst.Id, Assert.Single(onlyFirst).Id);
        Assert.Equal(boundToSecond.Id, Assert.Single(onlySecond).Id);
        Assert.Empty(unused);
    }

    [Theory, BothTransports]
    public async Task ListSyncs_WithANonUuidCredentialIdFilter_IsInvalidArgument(Transport transport)
    {
        var outcome = await NewUser().ListSyncs(transport, "not-a-uuid");

        outcome.Fails(StatusCode.InvalidArgument).Violation("credentialId");
    }

    [Theory, BothTransports]
    public async Task ListSyncs_OfANewUser_IsEmpty(Transport transport)
    {
        var outcome = await NewUser().ListSyncs(transport);

        Assert.Empty(outcome.Ok().Data);
        if (transport == Transport.Rest)
        {
            // The reference's SyncsResponse requires `data`: an empty list is [], not a missing key.
            Assert.True(outcome.RestJson().TryGetProperty("data", out var data), $"no 'data' key in {outcome.Text}");
            Assert.Equal(System.Text.Json.JsonValueKind.Array, data.ValueKind);
            Assert.Equal(0, data.GetArrayLength());
        }
    }
}
