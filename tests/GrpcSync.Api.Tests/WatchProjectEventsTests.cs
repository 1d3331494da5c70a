using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Domain;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>
/// WatchProjectEvents (GET /api/events/watch): an administrator's stream of every Sync of the project in
/// commit order, the events filter, resume by cursor, and the refusals. The host runs the engine, whose
/// relay places events; each class's tests share it, so a test picks out its own Syncs' events.
/// </summary>
public abstract class WatchProjectEventsTests(RelayServerFixture server)
{
    public sealed class OnSqlite(SqliteRelayServer server) : WatchProjectEventsTests(server), IClassFixture<SqliteRelayServer>;

    public sealed class OnPostgres(PostgresRelayServer server) : WatchProjectEventsTests(server), IClassFixture<PostgresRelayServer>;

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(600);

    private RelayServerFixture Server { get; } = server;

    private static string Type(StreamedEvent m) => m.Event.Fields["event"].StringValue;

    private static string SyncOf(StreamedEvent m) => m.Event.Fields["syncInstanceId"].StringValue;

    private static string Id(StreamedEvent m) => m.Event.Fields["eventId"].StringValue;

    /// <summary>Reads until <paramref name="count"/> messages of <paramref name="syncIds"/> came; returns those (others are older tests' Syncs).</summary>
    private static async Task<List<StreamedEvent>> OfSyncs(EventWatch watch, IReadOnlyCollection<string> syncIds, int count,
        List<StreamedEvent>? everything = null, IReadOnlyCollection<string>? types = null)
    {
        var mine = new List<StreamedEvent>();
        for (var read = 0; mine.Count < count; read++)
        {
            Assert.True(read < 5000, "Too many messages of other Syncs.");
            var message = await watch.NextAsync();
            everything?.Add(message);
            if (syncIds.Contains(SyncOf(message)) && (types is null || types.Contains(Type(message))))
            {
                mine.Add(message);
            }
        }
        return mine;
    }

    [Theory, BothTransports]
    public async Task Sees_the_events_of_every_sync_and_user_of_the_project_in_commit_order_and_none_of_another_project(Transport transport)
    {
        var alice = Server.NewUser();
        var bob = Server.NewUser();
        var outsider = Server.NewUser(ServerFixture.ProjectB);
        var a1 = await alice.NewSync(configurationName: "a1");
        var a2 = await alice.NewSync(configurationName: "a2");
        var b1 = await bob.NewSync();
        var other = await outsider.NewSync();

        await using var watch = await Server.NewAdmin().WatchProjectEvents(transport, "", EventTypes.SyncDisabled);
        await using var otherWatch = await Server.NewAdmin(ServerFixture.ProjectB).WatchProjectEvents(transport, "", EventTypes.SyncDisabled);
        (await alice.DisableSync(Transport.Grpc, a1.Id)).Ok();
        (await outsider.DisableSync(Transport.Grpc, other.Id)).Ok(); // committed before the next two: it would be seen before them
        (await bob.DisableSync(Transport.Grpc, b1.Id)).Ok();
        (await alice.DisableSync(Transport.Grpc, a2.Id)).Ok();

        var everything = new List<StreamedEvent>();
        var mine = await OfSyncs(watch, [a1.Id, a2.Id, b1.Id, other.Id], 3, everything);
        Assert.Equal([a1.Id, b1.Id, a2.Id], mine.Select(SyncOf));
        Assert.All(everything, m => Assert.Equal(EventTypes.SyncDisabled, Type(m)));
        Assert.DoesNotContain(everything, m => SyncOf(m) == other.Id);
        Assert.Equal([alice.UserId, bob.UserId, alice.UserId], mine.Select(m => m.Event.Fields["user"].StructValue.Fields["id"].StringValue));
        // Cursors are positions: increasing, each one distinct.
        var positions = everything.Select(m => ProjectEventCursor.TryDecode(m.Cursor, out var p) ? p : -1).ToList();
        Assert.All(positions, p => Assert.True(p > 0));
        Assert.Equal(positions.Order(), positions);
        Assert.Equal(positions.Count, positions.Distinct().Count());

        var theirs = await OfSyncs(otherWatch, [a1.Id, a2.Id, b1.Id, other.Id], 1);
        Assert.Equal([other.Id], theirs.Select(SyncOf));
    }

    [Theory, BothTransports]
    public async Task Without_a_filter_every_type_comes_and_a_filter_keeps_only_the_named_types(Transport transport)
    {
        var user = Server.NewUser();
        var admin = Server.NewAdmin();
        await using var all = await admin.WatchProjectEvents(transport);
        await using var some = await admin.WatchProjectEvents(transport, "", EventTypes.SyncDisabled, EventTypes.SyncReenabled);
        var sync = await user.NewSync();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, sync.Id)).Ok();
        (await user.UpdateSync(Transport.Grpc, sync.Id, frequency: "1h")).Ok();
        (await user.DisableSync(Transport.Grpc, sync.Id)).Ok();

        // The engine's runs (the INITIAL one, the one re-enabling queues) interleave with the caller's changes
        // as their commits fall: the unfiltered stream is read past them.
        var everyType = await OfSyncs(all, [sync.Id], 4, types: [EventTypes.SyncDisabled, EventTypes.SyncReenabled, EventTypes.SyncUpdated]);
        Assert.Equal([EventTypes.SyncDisabled, EventTypes.SyncReenabled, EventTypes.SyncUpdated, EventTypes.SyncDisabled], everyType.Select(Type));
        var filtered = await OfSyncs(some, [sync.Id], 3);
        Assert.Equal([EventTypes.SyncDisabled, EventTypes.SyncReenabled, EventTypes.SyncDisabled], filtered.Select(Type));
        Assert.Equal(everyType.Where(m => Type(m) != EventTypes.SyncUpdated).Select(m => (Id(m), m.Cursor)), filtered.Select(m => (Id(m), m.Cursor)));
    }

    [Theory, BothTransports]
    public async Task A_stream_resumed_with_the_last_cursor_misses_nothing_and_repeats_nothing(Transport transport)
    {
        var user = Server.NewUser();
        var admin = Server.NewAdmin();
        var s1 = await user.NewSync(configurationName: "one");
        var s2 = await user.NewSync(configurationName: "two");
        string last;
        var seen = new List<StreamedEvent>();
        await using (var first = await admin.WatchProjectEvents(transport, "", EventTypes.SyncDisabled, EventTypes.SyncReenabled))
        {
            (await user.DisableSync(Transport.Grpc, s1.Id)).Ok();
            seen.AddRange(await OfSyncs(first, [s1.Id, s2.Id], 1));
            last = seen[^1].Cursor;
        }
        (await user.DisableSync(Transport.Grpc, s2.Id)).Ok();
        (await user.ReenableSync(Transport.Grpc, s1.Id)).Ok();
        await using var resumed = await admin.WatchProjectEvents(transport, last, EventTypes.SyncDisabled, EventTypes.SyncReenabled);
        (await user.ReenableSync(Transport.Grpc, s2.Id)).Ok();
        var after = await OfSyncs(resumed, [s1.Id, s2.Id], 3);
        Assert.Equal([(s2.Id, EventTypes.SyncDisabled), (s1.Id, EventTypes.SyncReenabled), (s2.Id, EventTypes.SyncReenabled)],
            after.Select(m => (SyncOf(m), Type(m))));
        Assert.DoesNotContain(after, m => Id(m) == Id(seen[0]));
        await resumed.ExpectQuietAsync(Quiet);
    }

    [Theory, BothTransports]
    public async Task A_users_token_is_permission_denied_and_bad_filters_and_cursors_are_invalid(Transport transport)
    {
        await using (var user = await Server.NewUser().WatchProjectEvents(transport))
        {
            Assert.Equal("ADMIN_REQUIRED", (await user.EndAsync()).Fails(StatusCode.PermissionDenied).Reason());
        }
        var admin = Server.NewAdmin();
        await using (var unknown = await admin.WatchProjectEvents(transport, "", EventTypes.SyncDisabled, "sync_exploded"))
        {
            var error = (await unknown.EndAsync()).Fails(StatusCode.InvalidArgument);
            Assert.Contains("sync_exploded", error.Violation("events"));
        }
        foreach (var cursor in new[] { "garbage", EventCursor.Encode(1, 1), Convert.ToBase64String("project:1:5"u8.ToArray()) })
        {
            await using var watch = await admin.WatchProjectEvents(transport, cursor);
            var error = (await watch.EndAsync()).Fails(StatusCode.InvalidArgument);
            Assert.True(error.Reason() == "CURSOR_EXPIRED", $"{cursor}: {error}");
        }
    }
}
