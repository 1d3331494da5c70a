using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>TriggerSync and CancelSyncRun on an API-only server: runs stay QUEUED, so each decision shows exactly.</summary>
public abstract class TriggerAndCancelTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : TriggerAndCancelTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : TriggerAndCancelTests(server), IClassFixture<PostgresServer>;

    [Theory, BothTransports]
    public async Task TriggerSync_QueuesAManualIncrementalRunDueNow(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.TriggerSync(transport, sync.Id, SyncRunType.Incremental);

        var run = outcome.Ok();
        Assert.True(Guid.TryParse(run.Id, out _), run.Id);
        Assert.Equal(sync.Id, run.SyncId);
        Assert.Equal(SyncRunType.Incremental, run.Type);
        Assert.Equal(SyncRunTrigger.Manual, run.Trigger);
        Assert.Equal(SyncRunState.Queued, run.State);
        Assert.NotNull(run.CreatedAt);
        Assert.Equal(run.CreatedAt, run.DueAt);
        Assert.Null(run.StartedAt);
        Assert.Null(run.FinishedAt);
        Assert.Equal(0, run.Attempt);
        Assert.False(run.HasError);
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal("INCREMENTAL", json.GetProperty("type").GetString());
            Assert.Equal("MANUAL", json.GetProperty("trigger").GetString());
            Assert.Equal("QUEUED", json.GetProperty("state").GetString());
            Assert.Equal(sync.Id, json.GetProperty("syncId").GetString());
        }
        var runs = await user.Runs(sync.Id);
        Assert.Equal(2, runs.Count);
        Assert.Contains(runs, r => r.Id == run.Id && r.State == SyncRunState.Queued && r.Trigger == SyncRunTrigger.Manual);
        Assert.Contains(runs, r => r.Type == SyncRunType.Initial && r.State == SyncRunState.Queued);
    }

    [Theory, BothTransports]
    public async Task TriggerSync_WithoutAType_QueuesAnIncrementalRun(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var run = (await user.TriggerSync(transport, sync.Id)).Ok();

        Assert.Equal(SyncRunType.Incremental, run.Type);
        Assert.Equal(SyncRunTrigger.Manual, run.Trigger);
    }

    [Theory, BothTransports]
    public async Task TriggerSync_AgainWhileTheRunIsQueued_ReturnsTheSameRun(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var first = (await user.TriggerSync(transport, sync.Id, SyncRunType.Incremental)).Ok();

        var again = await user.TriggerSync(transport, sync.Id, SyncRunType.Incremental);

        var run = again.Ok(); // 200 over REST, not 409
        Assert.Equal(first.Id, run.Id);
        Assert.Equal(SyncRunState.Queued, run.State);
        Assert.Equal(first.CreatedAt, run.CreatedAt);
        Assert.Equal(2, (await user.Runs(sync.Id)).Count);
    }

    [Theory, BothTransports]
    public async Task TriggerSync_FullAndIncremental_AreDifferentRuns(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var full = (await user.TriggerSync(transport, sync.Id, SyncRunType.Full)).Ok();
        var incremental = (await user.TriggerSync(transport, sync.Id, SyncRunType.Incremental)).Ok();
        var fullAgain = (await user.TriggerSync(transport, sync.Id, SyncRunType.Full)).Ok();

        Assert.Equal(SyncRunType.Full, full.Type);
        Assert.Equal(SyncRunTrigger.Manual, full.Trigger);
        Assert.Equal(SyncRunType.Incremental, incremental.Type);
        Assert.NotEqual(full.Id, incremental.Id);
        Assert.Equal(full.Id, fullAgain.Id);
        var runs = await user.Runs(sync.Id);
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.Equal(SyncRunState.Queued, r.State));
    }

    [Theory, BothTransports]
    public async Task TriggerSync_OfADisabledSync_IsFailedPrecondition(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();

        var outcome = await user.TriggerSync(transport, sync.Id, SyncRunType.Full);

        var error = outcome.Fails(StatusCode.FailedPrecondition);
        Assert.Equal("SYNC_STOPPED", error.Reason());
        Assert.Contains("DISABLED", error.Message);
        Assert.DoesNotContain(await user.Runs(sync.Id), r => r.State == SyncRunState.Queued);
    }

    [Theory, BothTransports]
    public async Task TriggerSync_OfAnInitialRun_IsInvalidArgument(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.TriggerSync(transport, sync.Id, SyncRunType.Initial);

        outcome.Fails(StatusCode.InvalidArgument).Violation("type");
        Assert.Single(await user.Runs(sync.Id));
    }

    [Theory, BothTransports]
    public async Task TriggerSync_OfAnotherUsersSync_IsNotFound(Transport transport)
    {
        var sync = await NewUser().NewSync();

        var outcome = await NewUser().TriggerSync(transport, sync.Id, SyncRunType.Full);

        outcome.Fails(StatusCode.NotFound);
    }

    [Fact]
    public async Task TriggerSync_OverRest_AcceptsTheFullEnumName()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.RestCall<SyncRun>(HttpMethod.Post, $"/api/syncs/{sync.Id}/trigger", """{"type":"SYNC_RUN_TYPE_FULL"}""");

        Assert.Equal(SyncRunType.Full, outcome.Ok().Type);
    }

    [Fact]
    public async Task TriggerSync_OverRest_WithoutABody_QueuesAnIncrementalRun()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.RestCall<SyncRun>(HttpMethod.Post, $"/api/syncs/{sync.Id}/trigger");

        // Every body field is optional, so no body at all means the defaults: an INCREMENTAL manual run.
        var run = outcome.Ok();
        Assert.Equal(SyncRunType.Incremental, run.Type);
        Assert.Equal(SyncRunTrigger.Manual, run.Trigger);
        Assert.Equal(SyncRunState.Queued, run.State);
        Assert.Equal(2, (await user.Runs(sync.Id)).Count);
    }

    [Fact]
    public async Task TriggerSync_OverRest_WithAnUnknownBodyField_IsInvalidArgument()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.RestCall<SyncRun>(HttpMethod.Post, $"/api/syncs/{sync.Id}/trigger", """{"typ":"FULL"}""");

        outcome.Fails(StatusCode.InvalidArgument).Violation("typ");
        Assert.Single(await user.Runs(sync.Id));
    }

    [Theory, BothTransports]
    public async Task CancelSyncRun_CancelsAQueuedRun_AndCancellingItAgainIsFailedPrecondition(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var queued = (await user.TriggerSync(Transport.Grpc, sync.Id, SyncRunType.Full)).Ok();

        var outcome = await user.CancelSyncRun(transport, sync.Id, queued.Id);

        var cancelled = outcome.Ok();
        Assert.Equal(queued.Id, cancelled.Id);
        Assert.Equal(SyncRunState.Cancelled, cancelled.State);
        Assert.NotNull(cancelled.FinishedAt);
        Assert.True(cancelled.HasError, "A cancelled run says why.");
        if (transport == Transport.Rest)
        {
            Assert.Equal("CANCELLED", outcome.RestJson().GetProperty("state").GetString());
        }
        var listed = Assert.Single(await user.Runs(sync.Id), r => r.Id == queued.Id);
        Assert.Equal(SyncRunState.Cancelled, listed.State);

        var again = await user.CancelSyncRun(transport, sync.Id, queued.Id);

        Assert.Equal("RUN_NOT_OPEN", again.Fails(StatusCode.FailedPrecondition).Reason());
        Assert.Equal(SyncRunState.Cancelled, Assert.Single(await user.Runs(sync.Id), r => r.Id == queued.Id).State);
    }

    [Theory, BothTransports]
    public async Task CancelSyncRun_ThenTriggerSync_QueuesANewRun(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var first = (await user.TriggerSync(transport, sync.Id, SyncRunType.Incremental)).Ok();
        (await user.CancelSyncRun(transport, sync.Id, first.Id)).Ok();

        var second = (await user.TriggerSync(transport, sync.Id, SyncRunType.Incremental)).Ok();

        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(SyncRunState.Queued, second.State);
    }

    [Theory, BothTransports]
    public async Task CancelSyncRun_OfTheInitialRun_LeavesTheSyncInitializingWithoutAPendingRun(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var cancelled = (await user.CancelSyncRun(transport, sync.Id, sync.PendingRun.Id)).Ok();

        Assert.Equal(SyncRunType.Initial, cancelled.Type);
        Assert.Equal(SyncRunState.Cancelled, cancelled.State);
        var after = await user.Get(sync.Id);
        Assert.Equal(SyncStatus.Initializing, after.Status);
        Assert.Null(after.PendingRun);
    }

    [Theory, BothTransports]
    public async Task CancelSyncRun_OfAnUnknownRun_IsNotFound(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.CancelSyncRun(transport, sync.Id, Guid.NewGuid().ToString());

        // No such run is 404 RUN_NOT_FOUND; a finished run is RUN_NOT_OPEN (400), see above.
        Assert.Equal("RUN_NOT_FOUND", outcome.Fails(StatusCode.NotFound).Reason());
    }

    [Theory, BothTransports]
    public async Task CancelSyncRun_OfARunOfAnotherSync_IsNotFoundAndLeavesThatRunQueued(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var other = await user.NewSync(configurationName: "other");

        var outcome = await user.CancelSyncRun(transport, sync.Id, other.PendingRun.Id);

        Assert.Equal("RUN_NOT_FOUND", outcome.Fails(StatusCode.NotFound).Reason());
        Assert.Equal(SyncRunState.Queued, Assert.Single(await user.Runs(other.Id)).State);
    }

    [Theory, BothTransports]
    public async Task CancelSyncRun_OfAnotherUsersSync_IsNotFound(Transport transport)
    {
        var sync = await NewUser().NewSync();

        var outcome = await NewUser().CancelSyncRun(transport, sync.Id, sync.PendingRun.Id);

        outcome.Fails(StatusCode.NotFound);
    }

    [Theory, BothTransports]
    public async Task CancelSyncRun_WithARunIdThatIsNotAUuid_IsInvalidArgument(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.CancelSyncRun(transport, sync.Id, "not-a-run");

        outcome.Fails(StatusCode.InvalidArgument).Violation("runId");
    }
}
