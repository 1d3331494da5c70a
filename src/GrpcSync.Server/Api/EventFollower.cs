using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Storage;

namespace GrpcSync.Server.Api;

/// <summary>
/// The loop behind both event streams: read a bounded page after the last event sent, send it, and when the
/// page came back short wait for this process's next commit (<paramref name="pulse"/>) or the poll interval
/// (other replicas' commits), then read again. The pulse's version is read before each query, so a commit
/// between the query and the wait is never slept through. A stream holds one page at a time.
/// </summary>
internal static class EventFollower
{
    /// <summary>
    /// Follows until <paramref name="deliver"/> says stop (false), the caller goes away (the cancellation
    /// surfaces) or the host begins shutting down (<paramref name="stopping"/>: returns normally, so the client
    /// sees the stream end OK and resumes from its last cursor elsewhere).
    /// </summary>
    public static async Task FollowAsync(EventPulse pulse, TimeSpan pollInterval, TimeProvider time, int pageSize,
        Func<CancellationToken, Task<IReadOnlyList<LoggedEvent>>> nextPage, Func<LoggedEvent, Task<bool>> deliver,
        ServerCallContext context, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopping);
        var ct = linked.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var seen = pulse.Version;
                var page = await nextPage(ct);
                foreach (var e in page)
                {
                    if (stopping.IsCancellationRequested)
                    {
                        return; // the rest is read again by the resumed stream
                    }
                    if (!await deliver(e))
                    {
                        return;
                    }
                }
                if (page.Count < pageSize)
                {
                    await pulse.WaitAsync(seen, pollInterval, time, ct);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // shutting down: end the stream cleanly
        }
        context.CancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Sends the response headers now, so the caller knows the stream is open before the first event. gRPC
    /// flushes them itself; a transcoded (REST) response only starts at a flush of its body.
    /// </summary>
    public static async Task OpenAsync(ServerCallContext context)
    {
        await context.WriteResponseHeadersAsync([]);
        await context.GetHttpContext().Response.Body.FlushAsync(context.CancellationToken);
    }

    /// <summary>One streamed message: the event in the list's JSON shape and the cursor just after it.</summary>
    public static V1.StreamedEvent Message(LoggedEvent e, string cursor) => new()
    {
        Event = Google.Protobuf.WellKnownTypes.Struct.Parser.ParseJson(EventJson.Render(e)),
        Cursor = cursor,
    };
}
