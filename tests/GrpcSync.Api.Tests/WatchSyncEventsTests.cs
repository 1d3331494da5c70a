using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Domain;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>WatchSyncEvents (GET /api/syncs/{id}/events/watch): catch-up then live, resume by cursor, the end of a life, errors before streaming.</summary>
public abstract class WatchSyncEventsTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : WatchSyncEventsTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : WatchSyncEventsTests(server), IClassFixture<PostgresServer>;

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    private static string Type(StreamedEvent m) => m.Event.Fields["event"].StringValue;

    private static long Sequence(StreamedEvent m) => (long)m.Event.Fields["sequence"].NumberValue;

    [Theory, BothTransports]
    public async Task Sends_the_logged_events_then_new_ones_as_they_commit_each_with_the_lists_cursor_and_shape(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();

        await using var watch = await user.WatchSyncEvents(transport, sync.Id);
        var caughtUp = await watch.NextAsync(2);
        Assert.Equal([(1L, EventTypes.SyncDisabled), (2L, EventTypes.SyncReenabled)], caughtUp.Select(m => (Sequence(m), Type(m))));
        await watch.ExpectQuietAsync(Quiet);

        (await user.UpdateSync(Transport.Grpc, sync.Id, frequency: "1h")).Ok();
        var live = await watch.NextAsync();
        Assert.Equal((3L, EventTypes.SyncUpdated), (Sequence(live), Type(live)));

        // Each message's event is the list's item and its cursor the list's cursor after that event.
        var listed = (await user.ListSyncEvents(Transport.Grpc, sync.Id)).Ok().Data;
        Assert.Equal(listed, caughtUp.Append(live).Select(m => m.Event));
        for (var n = 1; n <= 3; n++)
        {
            var page = (await user.ListSyncEvents(Transport.Grpc, sync.Id, pageSize: n)).Ok();
            Assert.Equal(page.Paging.Cursor, caughtUp.Append(live).ElementAt(n - 1).Cursor);
        }
        if (transport == Transport.Rest)
        {
            Assert.StartsWith("application/json", watch.ContentType);
            Assert.Equal(3, watch.Lines.Count);
            foreach (var line in watch.Lines)
            {
                using var json = JsonDocument.Parse(line);
                Assert.Equal(["cursor", "event"], json.RootElement.Keys().Order(StringComparer.Ordinal));
                Assert.Equal(["credentialId", "data", "event", "eventId", "sequence", "sync", "syncInstanceId", "timestamp", "user"],
                    json.RootElement.GetProperty("event").Keys().Order(StringComparer.Ordinal));
                Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("event").GetProperty("sequence").ValueKind);
            }
        }
    }

    [Theory, BothTransports]
    public async Task A_stream_resumed_with_the_last_cursor_misses_nothing_and_repeats_nothing(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();

        string last;
        await using (var first = await user.WatchSyncEvents(transport, sync.Id))
        {
            (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();
            var seen = await first.NextAsync(2);
            Assert.Equal([1L, 2L], seen.Select(Sequence));
            last = seen[^1].Cursor;
        } // the client goes away

        // Committed while nobody watched, and while the next stream opens.
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();
        await using var resumed = await user.WatchSyncEvents(transport, sync.Id, last);
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        var after = await resumed.NextAsync(3);
        Assert.Equal([(3L, EventTypes.SyncDisabled), (4L, EventTypes.SyncReenabled), (5L, EventTypes.SyncDisabled)],
            after.Select(m => (Sequence(m), Type(m))));
        await resumed.ExpectQuietAsync(Quiet);
    }

    [Theory, BothTransports]
    public async Task A_list_cursor_starts_the_stream_after_it_and_the_newest_one_waits_for_new_events(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();
        var cursor = (await user.ListSyncEvents(Transport.Grpc, sync.Id)).Ok().Paging.Cursor;

        await using var watch = await user.WatchSyncEvents(transport, sync.Id, cursor);
        await watch.ExpectQuietAsync(Quiet);
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        var next = await watch.NextAsync();
        Assert.Equal((3L, EventTypes.SyncDisabled), (Sequence(next), Type(next)));
    }

    [Theory, BothTransports]
    public async Task Many_events_arrive_in_order_across_page_boundaries(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        const int Count = 230; // more than two stream pages (100 each)
        for (var i = 0; i < Count; i++)
        {
            (await (i % 2 == 0 ? user.DisableSync(Transport.Grpc, sync.Id) : user.ReenableSync(Transport.Grpc, sync.Id))).Ok();
        }
        await using var watch = await user.WatchSyncEvents(transport, sync.Id);
        var all = await watch.NextAsync(Count);
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), all.Select(Sequence));
        await watch.ExpectQuietAsync(Quiet);
    }

    [Theory, BothTransports]
    public async Task Deleting_the_sync_sends_sync_deleted_and_ends_the_stream_ok(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        await using var watch = await user.WatchSyncEvents(transport, sync.Id);
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        Assert.Equal(EventTypes.SyncDisabled, Type(await watch.NextAsync()));

        (await user.DeleteSync(Transport.Grpc, sync.Id)).Ok();
        var deleted = await watch.NextAsync();
        Assert.Equal((2L, EventTypes.SyncDeleted), (Sequence(deleted), Type(deleted)));
        var end = await watch.EndAsync();
        Assert.Equal(StatusCode.OK, end.Code);

        // The next life of the same id is a new stream; the old life's cursor is refused.
        var again = await user.NewSync(sync.CredentialId);
        Assert.Equal(sync.Id, again.Id);
        await using var old = await user.WatchSyncEvents(transport, sync.Id, deleted.Cursor);
        Assert.Equal("CURSOR_EXPIRED", (await old.EndAsync()).Fails(StatusCode.InvalidArgument).Reason());
    }

    [Theory, BothTransports]
    public async Task Unknown_or_foreign_syncs_are_not_found_and_bad_ids_invalid_before_anything_is_streamed(Transport transport)
    {
        var owner = NewUser();
        var sync = await owner.NewSync();

        foreach (var (caller, id, code) in new[]
        {
            (NewUser(), sync.Id, StatusCode.NotFound),
            (Server.ForUser(owner.UserId, ServerFixture.ProjectB), sync.Id, StatusCode.NotFound),
            (owner, Guid.NewGuid().ToString(), StatusCode.NotFound),
            (owner, "not-a-uuid", StatusCode.InvalidArgument),
        })
        {
            await using var watch = await caller.WatchSyncEvents(transport, id);
            var error = (await watch.EndAsync()).Fails(code);
            Assert.Equal(code == StatusCode.NotFound ? "SYNC_NOT_FOUND" : "INVALID_ARGUMENT", error.Reason());
        }
    }

    [Theory, BothTransports]
    public async Task Bad_cursors_are_cursor_expired_before_anything_is_streamed(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        var issued = (await user.ListSyncEvents(Transport.Grpc, sync.Id)).Ok().Paging.Cursor;
        Assert.True(EventCursor.TryDecode(issued, out var life, out _));

        foreach (var cursor in new[]
        {
            "not-a-cursor",
            RecordCursor.Encode(life, 1),          // a records cursor
            ProjectEventCursor.Encode(1),          // a project stream's cursor
            EventCursor.Encode(life + 1, 1),       // another life
            Convert.ToBase64String("events:1:01"u8.ToArray()),
        })
        {
            await using var watch = await user.WatchSyncEvents(transport, sync.Id, cursor);
            var error = (await watch.EndAsync()).Fails(StatusCode.InvalidArgument);
            Assert.True(error.Reason() == "CURSOR_EXPIRED", $"{cursor}: {error}");
            Assert.Contains("start again without a cursor", error.Violation("cursor"));
        }
    }

    [Theory, BothTransports]
    public async Task Without_a_token_the_stream_is_unauthenticated(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var stranger = new TestUser(Server, user.UserId, user.ProjectId, "not-a-token");
        await using var watch = await stranger.WatchSyncEvents(transport, sync.Id);
        (await watch.EndAsync()).Fails(StatusCode.Unauthenticated);
    }

    [Fact]
    public async Task Two_watchers_of_one_sync_both_get_every_event_live()
    {
        var user = NewUser();
        var sync = await user.NewSync();
        await using var grpc = await user.WatchSyncEvents(Transport.Grpc, sync.Id);
        await using var rest = await user.WatchSyncEvents(Transport.Rest, sync.Id);
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();
        var viaGrpc = await grpc.NextAsync(2);
        var viaRest = await rest.NextAsync(2);
        Assert.Equal(viaGrpc.Select(m => m.Event.Fields["eventId"].StringValue), viaRest.Select(m => m.Event.Fields["eventId"].StringValue));
        Assert.Equal(viaGrpc.Select(m => m.Cursor), viaRest.Select(m => m.Cursor));
        Assert.Equal(Value.ForString(EventTypes.SyncReenabled), viaRest[1].Event.Fields["event"]);
    }
}
