using System.Text.Json.Nodes;
using GrpcSync.Cli.Errors;
using GrpcSync.Cli.Invocation;
using GrpcSync.Cli.Output;
using GrpcSync.V1;
using Spectre.Console;

namespace GrpcSync.Cli.Commands;

/// <summary>
/// <c>syncs get &lt;id&gt; --watch</c>: GetSync every interval. On a terminal a live table redrawn in place; otherwise
/// the Sync again (a JSON line, or a table) each time it changed. Ends on Ctrl+C (exit 0) or with the call's error
/// (a deleted Sync: NOT_FOUND, exit 3).
/// </summary>
public static partial class SyncCommands
{
    private static async Task<int> WatchAsync(CliContext cli, string syncId, TimeSpan interval, CancellationToken ct)
    {
        var request = new GetSyncRequest { SyncId = syncId };
        var first = await cli.Syncs.GetSyncAsync(request, cli.Call(ct));
        if (cli.Printer.IsTerminal)
        {
            await cli.Printer.Console.Live(View(first)).StartAsync(async live =>
            {
                while (true)
                {
                    await Task.Delay(interval, ct);
                    live.UpdateTarget(View(await cli.Syncs.GetSyncAsync(request, cli.Call(ct))));
                }
            });
            return ExitCodes.Ok;
        }

        var shown = "";
        for (var sync = first; ; sync = await cli.Syncs.GetSyncAsync(request, cli.Call(ct)))
        {
            var json = RestJson.ToNode(sync).ToJsonString();
            if (json != shown)
            {
                shown = json;
                if (cli.Format == OutputFormat.Json)
                {
                    await Console.Out.WriteLineAsync(json);
                }
                else
                {
                    cli.Printer.Console.Write(Printer.Fields(RestJson.ToNode(sync).AsObject()));
                }
                await Console.Out.FlushAsync(ct);
            }
            await Task.Delay(interval, ct);
        }
    }

    private static Table View(Sync sync)
    {
        var table = Printer.Fields((JsonObject)RestJson.ToNode(sync));
        table.Caption(Markup.Escape($"refreshed {DateTimeOffset.Now:HH:mm:ss} · Ctrl+C to stop"));
        return table;
    }
}
