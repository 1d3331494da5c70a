using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Storage;
using GrpcSync.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcSync.Api.Tests;

public abstract class ListSyncRunsTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : ListSyncRunsTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : ListSyncRunsTests(server), IClassFixture<PostgresServer>;

    /// <summary>
    /// A Sync with four runs, oldest first: INITIAL (cancelled by the first disable), FULL (the
    /// credential change; a queued reconcile survives disable), INITIAL (cancelled by the second
    /// disable), INITIAL (queued by the last re-enable).
    /// </summary>
    private static async Task<Sync> SyncWithFourRuns(TestUser user)
    {
        var sync = await user.NewSync();
        var other = await user.NewCredential(displayName: "Second");
        await Task.Delay(3);
        (await user.UpdateSync(Transport.Grpc, sync.Id, credentialId: other.Id)).Ok();
        await Task.Delay(3);
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();
        await Task.Delay(3);
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();
        return sync;
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_ReturnsTheRunsNewestFirst(Transport transport)
    {
        var user = NewUser();
        var sync = await SyncWithFourRuns(user);

        var outcome = await user.ListSyncRuns(transport, sync.Id);

        var page = outcome.Ok();
        Assert.Equal("", page.NextPageToken);
        Assert.Equal(
            new[]
            {
                (SyncRunType.Initial, SyncRunState.Queued),
                (SyncRunType.Initial, SyncRunState.Cancelled),
                (SyncRunType.Full, SyncRunState.Queued),
                (SyncRunType.Initial, SyncRunState.Cancelled),
            },
            page.Runs.Select(r => (r.Type, r.State)).ToArray());
        Assert.All(page.Runs, r => Assert.Equal(sync.Id, r.SyncId));
        var created = page.Runs.Select(r => r.CreatedAt.ToDateTimeOffset()).ToArray();
        Assert.Equal(created.OrderDescending().ToArray(), created);
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            var first = json.GetProperty("runs")[0];
            Assert.Equal("INITIAL", first.GetProperty("type").GetString());
            Assert.Equal("QUEUED", first.GetProperty("state").GetString());
            Assert.Equal("ENABLE", first.GetProperty("trigger").GetString());
            Assert.Equal("CREDENTIAL_CHANGE", json.GetProperty("runs")[2].GetProperty("trigger").GetString());
        }
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_ShowsACollapsedEntry_WithItsCountAndFirstAndLastStart(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var syncId = Guid.Parse(sync.Id);
        var first = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000); // 2026-01-01T00:00:00Z
        var last = first.AddMinutes(41);
        // Written as the finish path leaves it after 42 scheduled runs that changed nothing (RunHistory).
        var entry = new Domain.SyncRun
        {
            Id = Guid.CreateVersion7(first),
            SyncId = syncId,
            Type = Domain.RunType.Incremental,
            Trigger = Domain.RunTrigger.Schedule,
            State = Domain.RunState.Succeeded,
            CreatedAt = first,
            DueAt = first,
            StartedAt = first,
            FinishedAt = last.AddSeconds(2),
            Attempt = 1,
            CollapsedRuns = 42,
            LastStartedAt = last,
        };
        var engine = Server.Services.GetRequiredService<IEngineStore>();
        await engine.MutateSyncAsync(syncId, _ => new Domain.SyncChange<bool>(null, [entry], [], true));

        var outcome = await user.ListSyncRuns(transport, sync.Id);

        var runs = outcome.Ok().Runs;
        Assert.Equal(2, runs.Count);
        var collapsed = runs[1]; // older than the INITIAL run queued now
        Assert.Equal((entry.Id.ToString(), 42), (collapsed.Id, collapsed.RunCount));
        Assert.Equal(first, collapsed.FirstStartedAt.ToDateTimeOffset());
        Assert.Equal(last, collapsed.LastStartedAt.ToDateTimeOffset());
        Assert.Equal(first, collapsed.StartedAt.ToDateTimeOffset());
        Assert.Equal((1, null, null), (runs[0].RunCount, runs[0].FirstStartedAt, runs[0].LastStartedAt));
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson().GetProperty("runs");
            Assert.Equal(42, json[1].GetProperty("runCount").GetInt32());
            Assert.Equal("2026-01-01T00:00:00Z", json[1].GetProperty("firstStartedAt").GetString());
            Assert.Equal("2026-01-01T00:41:00Z", json[1].GetProperty("lastStartedAt").GetString());
            Assert.Equal(1, json[0].GetProperty("runCount").GetInt32());
            Assert.False(json[0].TryGetProperty("firstStartedAt", out _));
            Assert.False(json[0].TryGetProperty("lastStartedAt", out _));
        }
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_WithPageSizeOne_FollowsTheTokenChainWithoutDuplicatesOrGaps(Transport transport)
    {
        var user = NewUser();
        var sync = await SyncWithFourRuns(user);
        var all = await user.Runs(sync.Id);
        Assert.Equal(4, all.Count);

        var seen = new List<SyncRun>();
        var token = "";
        for (var pages = 1; ; pages++)
        {
            Assert.True(pages <= 10, "The page token chain does not end.");
            var page = (await user.ListSyncRuns(transport, sync.Id, pageSize: 1, pageToken: token)).Ok();
            Assert.Single(page.Runs);
            seen.AddRange(page.Runs);
            token = page.NextPageToken;
            if (token == "")
            {
                break;
            }
        }

        Assert.Equal(all.Select(r => r.Id), seen.Select(r => r.Id));
        Assert.Equal(seen.Count, seen.Select(r => r.Id).Distinct().Count());
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_WithPageSizeTwo_SplitsFourRunsIntoTwoPages(Transport transport)
    {
        var user = NewUser();
        var sync = await SyncWithFourRuns(user);

        var first = (await user.ListSyncRuns(transport, sync.Id, pageSize: 2)).Ok();
        var second = (await user.ListSyncRuns(transport, sync.Id, pageSize: 2, pageToken: first.NextPageToken)).Ok();

        Assert.Equal(2, first.Runs.Count);
        Assert.NotEqual("", first.NextPageToken);
        Assert.Equal(2, second.Runs.Count);
        Assert.Equal("", second.NextPageToken);
        Assert.Empty(first.Runs.Select(r => r.Id).Intersect(second.Runs.Select(r => r.Id)));
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_WithAPageSizeOverTheMaximum_IsInvalidArgument(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.ListSyncRuns(transport, sync.Id, pageSize: 1000);

        outcome.Fails(StatusCode.InvalidArgument).Violation("pageSize");
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_AcceptsPageSizeUpToOneHundred_AndRejects101(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        (await user.ListSyncRuns(transport, sync.Id, pageSize: 100)).Ok();
        (await user.ListSyncRuns(transport, sync.Id, pageSize: 101)).Fails(StatusCode.InvalidArgument).Violation("pageSize");
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_WithANegativePageSize_IsInvalidArgument(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.ListSyncRuns(transport, sync.Id, pageSize: -1);

        outcome.Fails(StatusCode.InvalidArgument).Violation("pageSize");
    }

    [Theory]
    [InlineData(Transport.Rest, "garbage")]
    [InlineData(Transport.Grpc, "garbage")]
    [InlineData(Transport.Rest, "!!!")]
    [InlineData(Transport.Grpc, "MTIzOm5vdC1hLWd1aWQ")] // base64url of "123:not-a-guid"
    [InlineData(Transport.Rest, "MTczNTc4NzA0NTAwMDowMTk0MjYyOGUzZDQ3MDAwODAwMDAwMDAwMDAwMDAwMQ")] // "1735787045000:01942628e3d470008000000000000001", the format before incarnations
    [InlineData(Transport.Grpc, "MToxNzM1Nzg3MDQ1MDAwOjAxOTQyNjI4ZTNkNDcwMDA4MDAwMDAwMDAwMDAwMDAx")] // "1:1735787045000:01942628…01", well-formed, but no life of this Sync is 1
    [InlineData(Transport.Rest, "MToxNzM1Nzg3MDQ1MDAwOjAxOTQyNjI4ZTNkNDcwMDA4MDAwMDAwMDAwMDAwMDAx")]
    public async Task ListSyncRuns_WithAPageTokenItDidNotIssue_IsCursorExpired(Transport transport, string pageToken)
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcome = await user.ListSyncRuns(transport, sync.Id, pageToken: pageToken);

        var error = outcome.Fails(StatusCode.InvalidArgument);
        Assert.Equal("CURSOR_EXPIRED", error.Reason());
        Assert.Contains("start again without a pageToken", error.Violation("pageToken"));
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_WithAPageTokenOfAnotherSync_IsCursorExpired(Transport transport)
    {
        var user = NewUser();
        var sync = await SyncWithFourRuns(user);
        var stranger = NewUser();
        var strangersSync = await stranger.NewSync();
        var token = (await user.ListSyncRuns(transport, sync.Id, pageSize: 1)).Ok().NextPageToken;
        Assert.NotEqual("", token);

        var outcome = await stranger.ListSyncRuns(transport, strangersSync.Id, pageToken: token);

        Assert.Equal("CURSOR_EXPIRED", outcome.Fails(StatusCode.InvalidArgument).Reason());
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_OfAnUnknownSync_IsNotFound(Transport transport)
    {
        var outcome = await NewUser().ListSyncRuns(transport, Guid.NewGuid().ToString());

        outcome.Fails(StatusCode.NotFound);
    }
}
