using System.CommandLine;
using System.Globalization;
using GrpcSync.Cli.Errors;
using GrpcSync.Cli.Invocation;
using GrpcSync.Cli.Output;
using GrpcSync.V1;
using Spectre.Console;

namespace GrpcSync.Cli.Commands;

/// <summary><c>syncs trigger &lt;id&gt; [--full] [--wait]</c>: queue a run, and with --wait follow it to its end.</summary>
public static partial class SyncCommands
{
    private static Command Trigger()
    {
        var id = Arguments.SyncId();
        var full = new Option<bool>("--full") { Description = "A FULL run (re-reads everything and detects deletions) instead of INCREMENTAL." };
        var wait = new Option<bool>("--wait") { Description = "Follow the run live until it ends; exit 0 only if it SUCCEEDED." };
        var command = new Command("trigger", "Queue a run now (returns the equal run if one is already queued or running).") { id, full, wait };
        CommandAction.Set(command, async (cli, parse, ct) =>
        {
            var syncId = parse.GetValue(id)!;
            var request = new TriggerSyncRequest
            {
                SyncId = syncId,
                Type = parse.GetValue(full) ? SyncRunType.Full : SyncRunType.Incremental,
            };
            if (!parse.GetValue(wait))
            {
                cli.Printer.Show(await cli.Syncs.TriggerSyncAsync(request, cli.Call(ct)));
                return ExitCodes.Ok;
            }
            // The cursor first, so the stream starts before anything the run writes.
            var cursor = await RunFollower.LatestCursorAsync(cli, syncId, ct);
            var run = await cli.Syncs.TriggerSyncAsync(request, cli.Call(ct));
            var progress = new RunProgress(run);
            SyncRun finished;
            try
            {
                finished = RunProgress.IsFinal(run.State)
                    ? run
                    : cli.Printer.IsTerminal
                        ? await WithProgressBarAsync(cli, progress, RunFollower.FollowAsync(cli, syncId, cursor, progress, ct))
                        : await WithPlainLinesAsync(progress, RunFollower.FollowAsync(cli, syncId, cursor, progress, ct), ct);
            }
            catch (Exception error) when (ct.IsCancellationRequested && error is OperationCanceledException or Grpc.Core.RpcException)
            {
                // Ctrl+C: stop following at once, but not as a success: a script must not read "run done".
                await Console.Error.WriteLineAsync(
                    $"interrupted: run {progress.Run.Id} was {progress.State}; it goes on on the server (grpcsync syncs runs {syncId}).");
                return ExitCodes.Interrupted;
            }
            return ShowOutcome(cli, finished, progress);
        });
        return command;
    }

    /// <summary>
    /// On a terminal: the run's id, then a Spectre progress display (the run's total is unknown, so the bar is
    /// indeterminate). The live line carries no id and a short bar, so it stays one line on an 80-column terminal.
    /// </summary>
    private static async Task<SyncRun> WithProgressBarAsync(CliContext cli, RunProgress progress, Task<SyncRun> following)
    {
        cli.Printer.Console.WriteLine($"run {progress.Run.Id}");
        return await cli.Printer.Console.Progress()
            .AutoClear(false)
            .Columns(new SpinnerColumn(), new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 })
            .StartAsync(async display =>
            {
                var task = display.AddTask(Markup.Escape(progress.Describe()));
                task.IsIndeterminate = true;
                while (!following.IsCompleted)
                {
                    await Task.WhenAny(following, Task.Delay(200));
                    task.Description = Markup.Escape(progress.Describe());
                }
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.StopTask();
                return await following;
            });
    }

    /// <summary>Not on a terminal: one line on stderr whenever the state, records or pages change (stdout keeps the outcome).</summary>
    private static async Task<SyncRun> WithPlainLinesAsync(RunProgress progress, Task<SyncRun> following, CancellationToken ct)
    {
        var shown = "";
        while (!following.IsCompleted)
        {
            if (progress.Key() is var key && key != shown)
            {
                shown = key;
                await Console.Error.WriteLineAsync($"run {progress.Run.Id} {progress.Describe()}");
            }
            await Task.WhenAny(following, Task.Delay(200, ct));
        }
        var finished = await following;
        if (progress.Key() != shown)
        {
            // The records of the last page and the end often commit together: show where the run ended too.
            await Console.Error.WriteLineAsync($"run {progress.Run.Id} {progress.Describe()}");
        }
        return finished;
    }

    private static int ShowOutcome(CliContext cli, SyncRun run, RunProgress progress)
    {
        cli.Printer.Show(run);
        var (created, updated, deleted) = progress.Counts ?? (0, 0, 0);
        var seconds = progress.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        var outcome = $"run {run.Id} {RunProgress.Short(run.State)} after {seconds} s: {created} created, {updated} updated, {deleted} deleted"
                      + (run.HasError ? $" ({run.Error})" : "");
        if (cli.Format == OutputFormat.Table)
        {
            cli.Printer.Console.WriteLine(outcome);
        }
        else
        {
            Console.Error.WriteLine(outcome);
        }
        return run.State == SyncRunState.Succeeded ? ExitCodes.Ok : ExitCodes.Failure;
    }
}
