using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Engine.Configuration;
using GrpcSync.Storage;
using GrpcSync.V1;
using Microsoft.Extensions.Options;

namespace GrpcSync.Server.Api;

/// <summary>
/// WatchSyncEvents: one life of the caller's Sync, after the cursor, then live. Each message carries the
/// ListSyncEvents cursor just after its event, so a client resuming with the last one it received misses
/// nothing and repeats nothing (a Sync's events become visible in sequence order). The life ends with
/// <c>sync_deleted</c>: that event is sent and the stream ends OK. SyncApi delegates to it.
/// </summary>
public sealed class SyncEventStream(IEventStore events, IOptions<EventOptions> options, TimeProvider time, IHostApplicationLifetime lifetime)
{
    private readonly EventOptions _options = options.Value;

    public async Task Watch(Scope scope, WatchSyncEventsRequest request, IServerStreamWriter<StreamedEvent> stream, ServerCallContext context)
    {
        var v = new Violations();
        var syncId = v.Uuid("syncId", request.SyncId, required: true);
        v.ThrowIfAny();
        var cursor = SyncEventCursorArgument.Parse(request.Cursor);
        // Checked before anything is sent, so the caller gets a plain NOT_FOUND / INVALID_ARGUMENT (HTTP 404 / 400).
        var current = await events.ListSyncEventsAsync(scope, syncId!.Value, cursor.AfterSequence, 1, context.CancellationToken)
            ?? throw DomainException.SyncNotFound(request.SyncId);
        cursor.EnsureLife(current.Incarnation);
        var life = current.Incarnation;
        var after = cursor.AfterSequence;
        await EventFollower.OpenAsync(context);

        await EventFollower.FollowAsync(events.Signals.Appended, _options.WatchPollInterval, time, _options.WatchPageSize,
            ct => events.ListLifeEventsAsync(scope, syncId.Value, life, after, _options.WatchPageSize, ct),
            async e =>
            {
                await stream.WriteAsync(EventFollower.Message(e, EventCursor.Encode(life, e.Sequence)));
                after = e.Sequence;
                return e.Type != EventTypes.SyncDeleted; // the end of this life
            },
            context, lifetime.ApplicationStopping);
    }
}
