using Google.Protobuf.WellKnownTypes;
using GrpcSync.Domain;
using GrpcSync.Storage;
using GrpcSync.V1;

namespace GrpcSync.Server.Api;

/// <summary>The events part of SyncService: a Sync's event log, paged by an opaque cursor. SyncApi delegates to it.</summary>
public sealed class EventsApi(IEventStore events)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public async Task<ListSyncEventsResponse> List(Scope scope, ListSyncEventsRequest request, CancellationToken ct)
    {
        var v = new Violations();
        var syncId = v.Uuid("syncId", request.SyncId, required: true);
        if (request.PageSize is < 0 or > MaxPageSize)
        {
            v.Add("pageSize", $"pageSize must be between 1 and {MaxPageSize} (absent means {DefaultPageSize}).");
        }
        v.ThrowIfAny();
        var cursor = SyncEventCursorArgument.Parse(request.Cursor);

        var limit = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var page = await events.ListSyncEventsAsync(scope, syncId!.Value, cursor.AfterSequence, limit, ct)
            ?? throw DomainException.SyncNotFound(request.SyncId);
        // A cursor of an earlier life points into a log this life does not list: refused, not reinterpreted.
        cursor.EnsureLife(page.Incarnation);
        var lastSeen = page.Events.Count > 0 ? page.Events[^1].Sequence : cursor.AfterSequence;
        var response = new ListSyncEventsResponse
        {
            // An empty page keeps the caller's position, so it can poll with the same cursor.
            Paging = new EventsPaging { Cursor = lastSeen > 0 ? EventCursor.Encode(page.Incarnation, lastSeen) : "" },
        };
        response.Data.AddRange(page.Events.Select(e => Struct.Parser.ParseJson(EventJson.Render(e))));
        return response;
    }
}
