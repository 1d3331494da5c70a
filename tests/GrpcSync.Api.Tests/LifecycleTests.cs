using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>DisableSync, ReenableSync and DeleteSync.</summary>
public abstract class LifecycleTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : LifecycleTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : LifecycleTests(server), IClassFixture<PostgresServer>;

    [Theory, BothTransports]
    public async Task DisableSync_StopsTheSync_CancelsThePendingRun_AndClearsNextRunAt(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.DisableSync(transport, sync.Id);

        var disabled = outcome.Ok();
        Assert.Equal(SyncStatus.Disabled, disabled.Status);
        Assert.Null(disabled.NextRunAt);
        Assert.Null(disabled.PendingRun);
        Assert.NotEqual(sync.Etag, disabled.Etag);
        var run = Assert.Single(await user.Runs(sync.Id));
        Assert.Equal(SyncRunType.Initial, run.Type);
        Assert.Equal(SyncRunState.Cancelled, run.State);
        Assert.NotNull(run.FinishedAt);
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal("DISABLED", json.GetProperty("status").GetString());
            Assert.False(json.Has("nextRunAt"), "nextRunAt must be absent while DISABLED.");
            Assert.False(json.Has("pendingRun"));
        }
        var listed = (await user.ListSyncRuns(transport, sync.Id)).Ok();
        Assert.Equal(SyncRunState.Cancelled, Assert.Single(listed.Runs).State);
    }

    [Theory, BothTransports]
    public async Task DisableSync_Twice_IsIdempotent(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var first = (await user.DisableSync(transport, sync.Id)).Ok();

        var second = (await user.DisableSync(transport, sync.Id)).Ok();

        Assert.Equal(SyncStatus.Disabled, second.Status);
        Assert.Equal(first.Etag, second.Etag);
        Assert.Single(await user.Runs(sync.Id));
    }

    [Theory, BothTransports]
    public async Task ReenableSync_OfANeverSyncedSync_MakesItInitializingWithAPendingInitialRun(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DisableSync(transport, sync.Id)).Ok();

        var outcome = await user.ReenableSync(transport, sync.Id);

        var reenabled = outcome.Ok();
        Assert.Equal(SyncStatus.Initializing, reenabled.Status);
        Assert.NotNull(reenabled.NextRunAt);
        Assert.NotNull(reenabled.PendingRun);
        Assert.Equal(SyncRunType.Initial, reenabled.PendingRun.Type);
        Assert.Equal(SyncRunState.Queued, reenabled.PendingRun.State);
        var runs = await user.Runs(sync.Id);
        Assert.Equal(2, runs.Count);
        Assert.Single(runs, r => r.State == SyncRunState.Cancelled);
        Assert.Single(runs, r => r.State == SyncRunState.Queued && r.Type == SyncRunType.Initial);
        if (transport == Transport.Rest)
        {
            Assert.Equal("INITIALIZING", outcome.RestJson().GetProperty("status").GetString());
        }
    }

    [Theory, BothTransports]
    public async Task ReenableSync_OfAnActiveSync_ChangesNothing(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.ReenableSync(transport, sync.Id);

        var same = outcome.Ok();
        Assert.Equal(SyncStatus.Initializing, same.Status);
        Assert.Equal(sync.Etag, same.Etag);
        Assert.Equal(sync.NextRunAt, same.NextRunAt);
        Assert.Single(await user.Runs(sync.Id));
    }

    [Theory, BothTransports]
    public async Task DeleteSync_AnswersIdAndMessage_ThenTheSyncIsGone(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.DeleteSync(transport, sync.Id);

        var deleted = outcome.Ok();
        Assert.Equal(sync.Id, deleted.Id);
        Assert.Equal("Sync successfully deleted", deleted.Message);
        if (transport == Transport.Rest)
        {
            Assert.Equal(new[] { "id", "message" }, outcome.RestJson().Keys());
        }
        (await user.GetSync(transport, sync.Id)).Fails(StatusCode.NotFound);
        (await user.ListSyncRuns(transport, sync.Id)).Fails(StatusCode.NotFound);
        Assert.Empty((await user.ListSyncs(transport)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task DeleteSync_Twice_IsNotFoundTheSecondTime(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DeleteSync(transport, sync.Id)).Ok();

        var again = await user.DeleteSync(transport, sync.Id);

        Assert.Equal("SYNC_NOT_FOUND", again.Fails(StatusCode.NotFound).Reason());
    }

    [Theory, BothTransports]
    public async Task DisableReenableAndDelete_OfAnUnknownOrMalformedId_AreNotFoundOrInvalid(Transport transport)
    {
        var user = NewUser();
        var unknown = Guid.NewGuid().ToString();

        (await user.DisableSync(transport, unknown)).Fails(StatusCode.NotFound);
        (await user.ReenableSync(transport, unknown)).Fails(StatusCode.NotFound);
        (await user.DeleteSync(transport, unknown)).Fails(StatusCode.NotFound);
        (await user.DisableSync(transport, "not-a-uuid")).Fails(StatusCode.InvalidArgument);
        (await user.ReenableSync(transport, "not-a-uuid")).Fails(StatusCode.InvalidArgument);
        (await user.DeleteSync(transport, "not-a-uuid")).Fails(StatusCode.InvalidArgument);
    }

    [Theory, BothTransports]
    public async Task DeleteCredential_ErrorsTheSyncsBoundToIt(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        (await user.DeleteCredential(transport, sync.CredentialId)).Ok();

        var errored = (await user.GetSync(transport, sync.Id)).Ok();
        Assert.Equal(SyncStatus.Errored, errored.Status);
        Assert.Equal($"Credential ID [{sync.CredentialId}] is no longer valid or has been deleted.", errored.Reason);
        Assert.Null(errored.NextRunAt);
        Assert.Null(errored.PendingRun);
        Assert.Equal(SyncRunState.Cancelled, Assert.Single(await user.Runs(sync.Id)).State);
    }
}
