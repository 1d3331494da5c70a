using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>The event stream calls, for any <see cref="TestUser"/> (a user's or an administrator's token).</summary>
public static class EventWatchCalls
{
    /// <summary>WatchSyncEvents: <c>GET /api/syncs/{id}/events/watch?cursor=</c>.</summary>
    public static Task<EventWatch> WatchSyncEvents(this TestUser user, Transport transport, string syncId, string cursor = "")
    {
        var path = $"/api/syncs/{Uri.EscapeDataString(syncId)}/events/watch" + (cursor.Length > 0 ? "?cursor=" + Uri.EscapeDataString(cursor) : "");
        return EventWatch.OpenAsync(user.Server, user.Token, transport, path,
            o => user.Server.Syncs.WatchSyncEvents(new WatchSyncEventsRequest { SyncId = syncId, Cursor = cursor }, o));
    }

    /// <summary>WatchProjectEvents: <c>GET /api/events/watch?cursor=&amp;events=a&amp;events=b</c>.</summary>
    public static Task<EventWatch> WatchProjectEvents(this TestUser user, Transport transport, string cursor = "", params string[] events)
    {
        var query = new List<string>();
        if (cursor.Length > 0)
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }
        query.AddRange(events.Select(e => "events=" + Uri.EscapeDataString(e)));
        var path = "/api/events/watch" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        var request = new WatchProjectEventsRequest { Cursor = cursor };
        request.Events.AddRange(events);
        return EventWatch.OpenAsync(user.Server, user.Token, transport, path,
            o => new EventService.EventServiceClient(user.Server.Channel).WatchProjectEvents(request, o));
    }
}
