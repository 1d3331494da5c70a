using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Cli.Errors;
using GrpcSync.Cli.Invocation;
using GrpcSync.V1;

namespace GrpcSync.Cli.Commands;

/// <summary>
/// <c>grpcsync events watch</c>: one Sync's live events (WatchSyncEvents, its owner) or the whole project's
/// (WatchProjectEvents, an admin token). One line per event; JSON lines are the REST stream's lines.
/// </summary>
public static class EventCommands
{
    public static Command Build()
    {
        var events = new Command("events", "Follow the event log live.");
        events.Subcommands.Add(Watch());
        return events;
    }

    private static Command Watch()
    {
        var sync = new Option<string?>("--sync") { Description = "Only this Sync's events (yours); without it, the project's (admin token)." };
        var cursor = new Option<string?>("--cursor") { Description = "Resume after this cursor (each line carries one); absent: from the oldest kept event." };
        var types = new Option<string[]>("--event")
        {
            Description = "Project stream only: keep only these event types (repeat the option).",
            AllowMultipleArgumentsPerToken = true,
        };
        var limit = new Option<int>("--limit") { Description = "Stop after this many events (default: until Ctrl+C or the stream ends)." };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0)
            {
                r.AddError("--limit must be 0 (no limit) or more.");
            }
        });
        var command = new Command("watch", "Print events as they commit; ends OK when the Sync is deleted or the server stops.")
        {
            sync, cursor, types, limit,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(sync) is not null && result.GetResult(types) is not null)
            {
                result.AddError("--event filters the project stream only; leave it out with --sync.");
            }
        });
        CommandAction.Set(command, async (cli, parse, ct) =>
        {
            var max = parse.GetValue(limit);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var call = parse.GetValue(sync) is { } syncId
                ? cli.Syncs.WatchSyncEvents(new WatchSyncEventsRequest { SyncId = syncId, Cursor = parse.GetValue(cursor) ?? "" }, cli.Call(stop.Token))
                : cli.Events.WatchProjectEvents(Project(parse.GetValue(cursor), parse.GetValue(types)), cli.Call(stop.Token));
            var seen = 0;
            await foreach (var message in call.ResponseStream.ReadAllAsync(stop.Token))
            {
                cli.Printer.Line(message, Describe(message.Event.Fields));
                if (max > 0 && ++seen == max)
                {
                    await stop.CancelAsync(); // ends the stream; the call's cancellation is ours, not an error
                    break;
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static WatchProjectEventsRequest Project(string? cursor, string[]? types)
    {
        var request = new WatchProjectEventsRequest { Cursor = cursor ?? "" };
        request.Events.AddRange(types ?? []);
        return request;
    }

    /// <summary>"2026-01-02T01:04:05.678Z  run_finished  &lt;syncInstanceId&gt;  {data}".</summary>
    private static string Describe(IDictionary<string, Value> e)
    {
        string Text(string name) => e.TryGetValue(name, out var v) && v.KindCase == Value.KindOneofCase.StringValue ? v.StringValue : "";
        var data = e.TryGetValue("data", out var d) ? Google.Protobuf.JsonFormatter.Default.Format(d) : "{}";
        return $"{Text("timestamp")}  {Text("event"),-18}  {Text("syncInstanceId")}  {data}";
    }
}
