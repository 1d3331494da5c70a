using System.Globalization;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Domain;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>ListSyncEvents (GET /api/syncs/{id}/events): the events the API's own changes log, paging and cursors.</summary>
public abstract class EventsTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : EventsTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : EventsTests(server), IClassFixture<PostgresServer>;

    private static string Type(Struct e) => e.Fields["event"].StringValue;

    private static long Sequence(Struct e) => (long)e.Fields["sequence"].NumberValue;

    private static Struct Data(Struct e) => e.Fields["data"].StructValue;

    [Theory, BothTransports]
    public async Task Patch_disable_reenable_log_their_events_in_order_in_the_documented_shape(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var other = await user.NewCredential(displayName: "Other Drive");

        (await user.UpdateSync(Transport.Grpc, sync.Id, credentialId: other.Id, frequency: "1h")).Ok();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();

        var outcome = await user.ListSyncEvents(transport, sync.Id);
        var events = outcome.Ok().Data;

        Assert.Equal([EventTypes.SyncUpdated, EventTypes.SyncDisabled, EventTypes.SyncReenabled], events.Select(Type));
        Assert.Equal([1L, 2L, 3L], events.Select(Sequence));
        var updated = events[0];
        Assert.Equal(user.UserId, Data(updated).Fields["sub"].StringValue);
        var changes = Data(updated).Fields["changes"].StructValue;
        Assert.Equal((sync.CredentialId, other.Id),
            (changes.Fields["credentialId"].StructValue.Fields["old"].StringValue, changes.Fields["credentialId"].StructValue.Fields["new"].StringValue));
        Assert.Equal(Value.KindOneofCase.NullValue, changes.Fields["frequency"].StructValue.Fields["old"].KindCase);
        Assert.Equal("1h", changes.Fields["frequency"].StructValue.Fields["new"].StringValue);
        Assert.Equal("INITIALIZING", Data(events[1]).Fields["previousStatus"].StringValue);
        Assert.Equal("INITIALIZING", Data(events[2]).Fields["status"].StringValue);
        foreach (var e in events)
        {
            Assert.True(Guid.TryParse(e.Fields["eventId"].StringValue, out _), e.ToString());
            Assert.Equal(("googledrive", sync.Id, user.UserId, other.Id),
                (e.Fields["sync"].StringValue, e.Fields["syncInstanceId"].StringValue, e.Fields["user"].StructValue.Fields["id"].StringValue,
                 e.Fields["credentialId"].StringValue));
            var timestamp = DateTimeOffset.Parse(e.Fields["timestamp"].StringValue, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            Assert.InRange(timestamp, sync.DateCreated.ToDateTimeOffset().AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(5));
            Assert.EndsWith("Z", e.Fields["timestamp"].StringValue);
        }
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal(["data", "paging"], json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(["credentialId", "data", "event", "eventId", "sequence", "sync", "syncInstanceId", "timestamp", "user"],
                json.GetProperty("data")[0].EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(JsonValueKind.Number, json.GetProperty("data")[0].GetProperty("sequence").ValueKind);
            Assert.Equal(1, json.GetProperty("data")[0].GetProperty("sequence").GetInt64());
        }
    }

    [Theory, BothTransports]
    public async Task Pages_follow_the_cursor_oldest_first_and_an_empty_page_keeps_the_cursor(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();

        var first = (await user.ListSyncEvents(transport, sync.Id, pageSize: 2)).Ok();
        var second = (await user.ListSyncEvents(transport, sync.Id, pageSize: 2, cursor: first.Paging.Cursor)).Ok();
        var empty = (await user.ListSyncEvents(transport, sync.Id, pageSize: 2, cursor: second.Paging.Cursor)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();
        var later = (await user.ListSyncEvents(transport, sync.Id, cursor: empty.Paging.Cursor)).Ok();

        Assert.Equal([1L, 2L], first.Data.Select(Sequence));
        Assert.Equal([3L], second.Data.Select(Sequence));
        Assert.Empty(empty.Data);
        Assert.Equal(second.Paging.Cursor, empty.Paging.Cursor);
        Assert.NotEqual(first.Paging.Cursor, second.Paging.Cursor);
        Assert.Equal([(4L, EventTypes.SyncReenabled)], later.Data.Select(e => (Sequence(e), Type(e))));
    }

    [Theory, BothTransports]
    public async Task Bad_cursors_are_cursor_expired_and_bad_page_sizes_invalid(Transport transport)
    {
        var user = NewUser();
        var sync = await user.NewSync();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        var issued = (await user.ListSyncEvents(Transport.Grpc, sync.Id)).Ok().Paging.Cursor;
        Assert.True(EventCursor.TryDecode(issued, out _, out var position) && position == 1, issued);

        foreach (var cursor in new[]
        {
            "not-a-cursor",
            RecordCursor.Encode(1, 1), // a records cursor is not an events cursor
            Convert.ToBase64String("events:1:01"u8.ToArray()), // leading zero: not canonical
            EventCursor.Encode(12345, 1), // another life of the Sync
            " " + issued,
        })
        {
            var error = (await user.ListSyncEvents(transport, sync.Id, cursor: cursor)).Fails(StatusCode.InvalidArgument);
            Assert.True(error.Reason() == "CURSOR_EXPIRED", $"{cursor}: {error}");
            Assert.Contains("start again without a cursor", error.Violation("cursor"));
        }
        foreach (var size in new[] { -1, 1001 })
        {
            var error = (await user.ListSyncEvents(transport, sync.Id, pageSize: size)).Fails(StatusCode.InvalidArgument);
            Assert.Contains("pageSize", error.ViolatedFields());
        }
        Assert.Empty((await user.ListSyncEvents(transport, sync.Id, cursor: issued)).Ok().Data); // the issued one still works
    }

    [Theory, BothTransports]
    public async Task Another_users_or_an_unknown_sync_is_not_found(Transport transport)
    {
        var owner = NewUser();
        var sync = await owner.NewSync();
        (await owner.DisableSync(Transport.Grpc, sync.Id)).Ok();

        (await NewUser().ListSyncEvents(transport, sync.Id)).Fails(StatusCode.NotFound);
        (await owner.ListSyncEvents(transport, Guid.NewGuid().ToString())).Fails(StatusCode.NotFound);
        (await owner.ListSyncEvents(transport, "not-a-uuid")).Fails(StatusCode.InvalidArgument);
    }

    [Theory, BothTransports]
    public async Task Delete_logs_sync_deleted_so_the_next_life_continues_after_it_and_refuses_the_old_lifes_cursor(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential();
        var sync = await user.NewSync(credential.Id);
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        var oldCursor = (await user.ListSyncEvents(Transport.Grpc, sync.Id)).Ok().Paging.Cursor;
        (await user.DeleteSync(Transport.Grpc, sync.Id)).Ok();

        (await user.ListSyncEvents(transport, sync.Id)).Fails(StatusCode.NotFound);

        var again = await user.NewSync(credential.Id);
        Assert.Equal(sync.Id, again.Id);
        (await user.DisableSync(Transport.Grpc, again.Id)).Ok();
        var events = (await user.ListSyncEvents(transport, again.Id)).Ok().Data;
        // 1 sync_disabled, 2 sync_deleted (of the first life, not listed), 3 this life's sync_disabled.
        Assert.Equal([(3L, EventTypes.SyncDisabled)], events.Select(e => (Sequence(e), Type(e))));
        Assert.Equal("CURSOR_EXPIRED", (await user.ListSyncEvents(transport, again.Id, cursor: oldCursor)).Fails(StatusCode.InvalidArgument).Reason());
    }

    [Theory, BothTransports]
    public async Task Deleting_the_credential_logs_sync_errored_with_the_reason(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential();
        var sync = await user.NewSync(credential.Id);

        (await user.DeleteCredential(Transport.Grpc, credential.Id)).Ok();

        var errored = Assert.Single((await user.ListSyncEvents(transport, sync.Id)).Ok().Data);
        Assert.Equal(EventTypes.SyncErrored, Type(errored));
        var error = Data(errored).Fields["error"].StructValue;
        Assert.Equal("CREDENTIAL_DELETED", error.Fields["code"].StringValue);
        Assert.Equal((await user.Get(sync.Id)).Reason, error.Fields["message"].StringValue);
    }
}
