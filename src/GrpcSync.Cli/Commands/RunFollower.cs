using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Cli.Invocation;
using GrpcSync.V1;

namespace GrpcSync.Cli.Commands;

/// <summary>
/// Follows one run to its end: the Sync's event stream (WatchSyncEvents, from a cursor taken before the trigger,
/// so nothing the run writes is missed) gives its start, each changed record and its end as they commit; a poll of
/// the run (ListSyncRuns, every second) covers what the stream cannot say — a run cancelled while still queued
/// ends without a <c>run_finished</c> — and a stream cut by a server restart.
/// </summary>
public static class RunFollower
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StreamGrace = TimeSpan.FromSeconds(2);

    /// <summary>The cursor just after the Sync's newest event: pages through its log (1000 a page) to the end.</summary>
    public static async Task<string> LatestCursorAsync(CliContext cli, string syncId, CancellationToken ct)
    {
        var cursor = "";
        while (true)
        {
            var page = await cli.Syncs.ListSyncEventsAsync(
                new ListSyncEventsRequest { SyncId = syncId, PageSize = 1000, Cursor = cursor }, cli.Call(ct));
            cursor = page.Paging?.Cursor ?? cursor;
            if (page.Data.Count < 1000)
            {
                return cursor;
            }
        }
    }

    /// <summary>Returns the finished run; <paramref name="progress"/> is updated as it goes.</summary>
    public static async Task<SyncRun> FollowAsync(CliContext cli, string syncId, string cursor, RunProgress progress, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var done = new TaskCompletionSource<SyncRun>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runId = progress.Run.Id;
        var stream = WatchAsync(cli, syncId, cursor, runId, progress, done, stop.Token);
        var poll = PollAsync(cli, syncId, runId, progress, done, stop.Token);
        try
        {
            return await done.Task.WaitAsync(ct);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(Quietly(stream), Quietly(poll));
        }
    }

    private static async Task WatchAsync(CliContext cli, string syncId, string cursor, string runId, RunProgress progress,
        TaskCompletionSource<SyncRun> done, CancellationToken ct)
    {
        // Record events count once this run is RUNNING (another run may still be running when it was queued).
        var ours = progress.Run.State == SyncRunState.Running;
        using var call = cli.Syncs.WatchSyncEvents(new WatchSyncEventsRequest { SyncId = syncId, Cursor = cursor }, cli.Call(ct));
        await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
        {
            var e = message.Event.Fields;
            var type = Text(e, "event");
            var data = e.TryGetValue("data", out var d) && d.KindCase == Value.KindOneofCase.StructValue ? d.StructValue.Fields : null;
            var forThisRun = data is not null && Text(data, "runId") == runId;
            switch (type)
            {
                case "run_started" when forThisRun:
                    ours = true;
                    progress.RunStarted();
                    break;
                case "record_created" or "record_updated" or "record_deleted" when ours:
                    progress.RecordChanged(Text(e, "timestamp"));
                    break;
                case "run_finished" when forThisRun:
                    progress.Finished(Text(data!, "state"), Number(data!, "created"), Number(data!, "updated"), Number(data!, "deleted"));
                    done.TrySetResult(await FindRunAsync(cli, syncId, runId, ct) ?? progress.Run);
                    return;
            }
        }
    }

    private static async Task PollAsync(CliContext cli, string syncId, string runId, RunProgress progress,
        TaskCompletionSource<SyncRun> done, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(PollInterval, ct);
                if (await FindRunAsync(cli, syncId, runId, ct) is not { } run)
                {
                    continue; // not on the first page yet (newer runs were queued): the stream still follows it
                }
                progress.Observe(run);
                if (RunProgress.IsFinal(run.State))
                {
                    // The stream's run_finished (with the run's counts) is usually a moment away: give it the chance
                    // to end the wait. A run cancelled while queued has none, and ends here.
                    await Task.WhenAny(done.Task, Task.Delay(StreamGrace, ct));
                    done.TrySetResult(run);
                    return;
                }
            }
        }
        catch (RpcException error) when (!ct.IsCancellationRequested)
        {
            done.TrySetException(error); // the Sync was deleted, the token expired, the server went away
        }
    }

    private static async Task<SyncRun?> FindRunAsync(CliContext cli, string syncId, string runId, CancellationToken ct)
    {
        var runs = await cli.Syncs.ListSyncRunsAsync(new ListSyncRunsRequest { SyncId = syncId, PageSize = 100 }, cli.Call(ct));
        return runs.Runs.FirstOrDefault(r => r.Id == runId);
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception error) when (error is OperationCanceledException or RpcException)
        {
            // the wait is over; the stream and the poll only had to stop
        }
    }

    private static string Text(IDictionary<string, Value> fields, string name) =>
        fields.TryGetValue(name, out var value) && value.KindCase == Value.KindOneofCase.StringValue ? value.StringValue : "";

    private static long Number(IDictionary<string, Value> fields, string name) =>
        fields.TryGetValue(name, out var value) && value.KindCase == Value.KindOneofCase.NumberValue ? (long)value.NumberValue : 0;
}
