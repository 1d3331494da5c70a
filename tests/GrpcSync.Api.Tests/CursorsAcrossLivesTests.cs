using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>
/// A Sync deleted and enabled again comes back with the same (name-based) id and starts its record
/// sequence and run history over. A records cursor or runs page token kept from its earlier life must
/// then be refused (CURSOR_EXPIRED), never silently skip the new life's records or runs.
/// </summary>
public abstract class CursorsAcrossLivesTests(EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteEngineServer server) : CursorsAcrossLivesTests(server), IClassFixture<SqliteEngineServer>;

    public sealed class OnPostgres(PostgresEngineServer server) : CursorsAcrossLivesTests(server), IClassFixture<PostgresEngineServer>;

    private const string StartAgain = "start again without a";

    [Theory, BothTransports]
    public async Task ListSyncedRecords_WithACursorOfTheSyncsEarlierLife_IsCursorExpired_AndWithoutOneReturnsTheNewRecords(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var user = synced.User;
        // Two cursors of the first life: in the middle (after 2 of 7) and at the end (with summary.latestCursor).
        var middle = (await user.ListSyncedRecords(transport, synced.SyncId, pageSize: 2)).Ok().Paging.Cursor;
        var (_, end) = await Pull(user, synced.SyncId, transport: transport);
        var oldLatest = (await user.Get(synced.SyncId)).Summary.LatestCursor;
        Assert.Equal(end.Paging.Cursor, oldLatest);

        var again = await DeleteAndEnableAgain(synced, transport);

        foreach (var oldCursor in new[] { middle, end.Paging.Cursor })
        {
            var error = (await user.ListSyncedRecords(transport, synced.SyncId, cursor: oldCursor)).Fails(StatusCode.InvalidArgument);
            Assert.Equal("CURSOR_EXPIRED", error.Reason());
            Assert.Contains(StartAgain + " cursor", error.Message);
            Assert.Contains(StartAgain + " cursor", error.Violation("cursor"));
        }
        var fresh = (await user.ListSyncedRecords(transport, synced.SyncId)).Ok();
        Assert.Equal(StandardExternalIds, fresh.Data.Select(r => r.ExternalId()).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal((7L, 0L), (fresh.Paging.TotalRecords, fresh.Paging.RemainingRecords));
        // Same position as the old end (7 changes), yet another cursor; the new latestCursor is this life's.
        Assert.Equal(end.Paging.LastSeen, fresh.Paging.LastSeen);
        Assert.NotEqual(end.Paging.Cursor, fresh.Paging.Cursor);
        Assert.Equal(fresh.Paging.Cursor, again.Summary.LatestCursor);
        var caughtUp = (await user.ListSyncedRecords(transport, synced.SyncId, cursor: again.Summary.LatestCursor)).Ok();
        Assert.Empty(caughtUp.Data);
        Assert.Equal(0, caughtUp.Paging.RemainingRecords);
    }

    [Theory, BothTransports]
    public async Task ListSyncRuns_WithAPageTokenOfTheSyncsEarlierLife_IsCursorExpired_AndWithoutOneListsTheNewRuns(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var user = synced.User;
        var triggered = (await user.TriggerSync(Transport.Grpc, synced.SyncId)).Ok();
        await WaitForRun(user, synced.SyncId, triggered.Id);
        var firstPage = (await user.ListSyncRuns(transport, synced.SyncId, pageSize: 1)).Ok();
        Assert.NotEqual("", firstPage.NextPageToken);

        await DeleteAndEnableAgain(synced, transport);

        var error = (await user.ListSyncRuns(transport, synced.SyncId, pageSize: 1, pageToken: firstPage.NextPageToken))
            .Fails(StatusCode.InvalidArgument);
        Assert.Equal("CURSOR_EXPIRED", error.Reason());
        Assert.Contains(StartAgain + " pageToken", error.Message);
        Assert.Contains(StartAgain + " pageToken", error.Violation("pageToken"));
        var fresh = (await user.ListSyncRuns(transport, synced.SyncId)).Ok();
        var run = Assert.Single(fresh.Runs);
        Assert.Equal((SyncRunType.Initial, SyncRunState.Succeeded), (run.Type, run.State));
        Assert.DoesNotContain(fresh.Runs, r => r.Id == triggered.Id || r.Id == firstPage.Runs[0].Id);
    }

    [Theory, BothTransports]
    public async Task ListSyncedRecords_WithACursorOfAnotherSync_IsCursorExpired(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var other = await NewSyncedAccount(a => a.Write("other.txt", "other")); // another user: the same request, another id
        var othersCursor = (await other.User.ListSyncedRecords(transport, other.SyncId)).Ok().Paging.Cursor;

        var outcome = await synced.User.ListSyncedRecords(transport, synced.SyncId, cursor: othersCursor);

        var error = outcome.Fails(StatusCode.InvalidArgument);
        Assert.Equal("CURSOR_EXPIRED", error.Reason());
        Assert.Contains(StartAgain + " cursor", error.Violation("cursor"));
    }

    /// <summary>Deletes the Sync, enables it again with the same request (so the same id) and waits for its INITIAL run.</summary>
    private async Task<Sync> DeleteAndEnableAgain(SyncedAccount synced, Transport transport)
    {
        (await synced.User.DeleteSync(transport, synced.SyncId)).Ok();
        var again = (await synced.User.EnableSync(transport, FilesystemSync(synced.Credential.Id))).Ok();
        Assert.Equal(synced.SyncId, again.Id);
        return await WaitUntilIdle(synced.User, again.Id);
    }
}
