using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Engine.Configuration;
using GrpcSync.Server.Auth;
using GrpcSync.Storage;
using GrpcSync.V1;
using Microsoft.Extensions.Options;

namespace GrpcSync.Server.Api;

/// <summary>
/// EventService: WatchProjectEvents, every Sync's events of the administrator's project in global position
/// order (commit order, given by the relay in engine replicas), after the cursor, then live; optionally only
/// some event types. The cursor of each message is the position just after its event, so a resumed stream
/// misses and repeats nothing (a reader that saw position p has seen every position below it).
/// </summary>
public sealed class ProjectEventsApi(IEventStore events, IOptions<EventOptions> options, TimeProvider time, IHostApplicationLifetime lifetime)
    : EventService.EventServiceBase
{
    private readonly EventOptions _options = options.Value;

    public override async Task WatchProjectEvents(WatchProjectEventsRequest request, IServerStreamWriter<StreamedEvent> responseStream,
        ServerCallContext context)
    {
        var scope = context.RequireAdmin();
        var v = new Violations();
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in request.Events)
        {
            if (EventTypes.All.Contains(type, StringComparer.Ordinal))
            {
                wanted.Add(type);
            }
            else
            {
                v.Add("events", $"Unknown event type '{Clip(type)}'; known types: {string.Join(", ", EventTypes.All)}.");
            }
        }
        v.ThrowIfAny();
        long after = 0;
        if (!string.IsNullOrEmpty(request.Cursor) && !ProjectEventCursor.TryDecode(request.Cursor, out after))
        {
            throw DomainException.CursorExpired("cursor");
        }
        await EventFollower.OpenAsync(context);

        // Filtered-out events move the read position but send nothing: a resumed stream reads them again and
        // skips them again, so the filter never causes a gap or a repeat.
        await EventFollower.FollowAsync(events.Signals.Placed, _options.WatchPollInterval, time, _options.WatchPageSize,
            ct => events.ListProjectEventsAsync(scope.ProjectId, after, _options.WatchPageSize, ct),
            async e =>
            {
                after = e.Position!.Value;
                if (wanted.Count == 0 || wanted.Contains(e.Type))
                {
                    await responseStream.WriteAsync(EventFollower.Message(e, ProjectEventCursor.Encode(after)));
                }
                return true;
            },
            context, lifetime.ApplicationStopping);
    }

    private static string Clip(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
