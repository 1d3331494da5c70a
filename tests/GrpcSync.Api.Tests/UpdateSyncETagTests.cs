using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests;

/// <summary>Optimistic concurrency on UpdateSync: the etag in the body, the If-Match header, the if-match metadata.</summary>
public abstract class UpdateSyncETagTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : UpdateSyncETagTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : UpdateSyncETagTests(server), IClassFixture<PostgresServer>;

    [Theory, BothTransports]
    public async Task UpdateSync_WithTheCurrentEtagInTheBody_Succeeds_AndAgainWithTheNowStaleEtag_IsAborted(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var etag = (await user.GetSync(transport, sync.Id)).Ok().Etag;

        (await user.UpdateSync(transport, sync.Id, frequency: "5m", etag: etag)).Ok();
        var stale = await user.UpdateSync(transport, sync.Id, frequency: "10m", etag: etag);

        Assert.Equal("ETAG_MISMATCH", stale.Fails(StatusCode.Aborted).Reason());
        var current = await user.Get(sync.Id);
        Assert.Equal("5m", current.IncrementalAccumulatorFrequency);
        Assert.NotEqual(etag, current.Etag);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_ChangesTheEtagOnlyWhenSomethingChanged(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        (await user.UpdateSync(transport, sync.Id, frequency: "5m")).Ok();
        var afterChange = (await user.GetSync(transport, sync.Id)).Ok().Etag;
        (await user.UpdateSync(transport, sync.Id, frequency: "5m", etag: afterChange)).Ok();
        var afterNoOp = (await user.GetSync(transport, sync.Id)).Ok().Etag;

        Assert.NotEqual(sync.Etag, afterChange);
        Assert.Equal(afterChange, afterNoOp);
    }

    [Fact]
    public async Task UpdateSync_OverRest_WithAStaleIfMatchHeader_Is409()
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.UpdateSync(Transport.Grpc, sync.Id, frequency: "5m")).Ok();

        var outcome = await user.RawUpdateSync(sync.Id, """{"incrementalAccumulatorFrequency":"10m"}""", ifMatch: $"\"{sync.Etag}\"");

        Assert.Equal("ETAG_MISMATCH", outcome.Fails(StatusCode.Aborted).Reason());
        Assert.Equal(409, outcome.HttpStatus);
        Assert.Equal("5m", (await user.Get(sync.Id)).IncrementalAccumulatorFrequency);
    }

    [Fact]
    public async Task UpdateSync_OverRest_WithTheCurrentIfMatchHeader_Succeeds()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.RawUpdateSync(sync.Id, """{"incrementalAccumulatorFrequency":"10m"}""", ifMatch: $"\"{sync.Etag}\"");

        outcome.Ok();
        Assert.Equal("10m", (await user.Get(sync.Id)).IncrementalAccumulatorFrequency);
    }

    [Fact]
    public async Task UpdateSync_OverRest_WithIfMatchStar_Succeeds()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        Assert.NotEqual("10m", sync.IncrementalAccumulatorFrequency);

        (await user.RawUpdateSync(sync.Id, """{"incrementalAccumulatorFrequency":"10m"}""", ifMatch: "*")).Ok();

        var stored = await user.Get(sync.Id);
        Assert.Equal("10m", stored.IncrementalAccumulatorFrequency);
        Assert.NotEqual(sync.Etag, stored.Etag);
    }

    [Fact]
    public async Task UpdateSync_OverGrpc_WithAStaleIfMatchMetadata_IsAborted()
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.UpdateSync(Transport.Grpc, sync.Id, frequency: "5m")).Ok();

        var outcome = await user.UpdateSync(Transport.Grpc, sync.Id, frequency: "10m", ifMatch: sync.Etag);

        outcome.Fails(StatusCode.Aborted);
        Assert.Equal("5m", (await user.Get(sync.Id)).IncrementalAccumulatorFrequency);
    }

    [Fact]
    public async Task UpdateSync_OverGrpc_WithTheCurrentIfMatchMetadata_Succeeds()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        Assert.NotEqual("10m", sync.IncrementalAccumulatorFrequency);

        var updated = (await user.UpdateSync(Transport.Grpc, sync.Id, frequency: "10m", ifMatch: sync.Etag)).Ok();

        Assert.Equal("10m", updated.Data.IncrementalAccumulatorFrequency);
        var stored = await user.Get(sync.Id);
        Assert.Equal("10m", stored.IncrementalAccumulatorFrequency);
        Assert.NotEqual(sync.Etag, stored.Etag);
    }

    [Theory, BothTransports]
    public async Task UpdateSync_WithAStaleEtag_DoesNotQueueTheFullRunEither(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var other = await user.NewCredential(displayName: "Second");
        (await user.UpdateSync(Transport.Grpc, sync.Id, frequency: "5m")).Ok();

        var outcome = await user.UpdateSync(transport, sync.Id, credentialId: other.Id, etag: sync.Etag);

        outcome.Fails(StatusCode.Aborted);
        Assert.Equal(sync.CredentialId, (await user.Get(sync.Id)).CredentialId);
        Assert.Single(await user.Runs(sync.Id));
    }

    [Fact]
    public async Task Etag_OfASyncDeletedAndEnabledAgain_DoesNotMatchItsEarlierLife()
    {
        var user = NewUser();
        var first = await user.NewSync();
        (await user.DeleteSync(Transport.Grpc, first.Id)).Ok();
        await Task.Delay(5);
        var again = await user.NewSync(first.CredentialId);

        var outcome = await user.UpdateSync(Transport.Grpc, again.Id, frequency: "5m", etag: first.Etag);

        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(first.Etag, again.Etag);
        outcome.Fails(StatusCode.Aborted);
    }
}
