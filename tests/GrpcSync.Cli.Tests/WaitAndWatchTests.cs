using System.Text.Json.Nodes;
using GrpcSync.Cli.Tests.Infrastructure;

namespace GrpcSync.Cli.Tests;

/// <summary>The long-running commands: <c>syncs trigger --wait</c> and <c>syncs get --watch</c>, not on a terminal.</summary>
[Collection(CliCollection.Name)]
public sealed class WaitAndWatchTests(CliServer server)
{
    [Fact]
    public async Task Trigger_wait_follows_a_run_of_seconds_to_its_end_with_progress_lines_then_the_outcome()
    {
        var token = server.NewUserToken();
        var (account, _, syncId) = await server.IdleSyncAsync(token);
        SlowAccount.AddBigFiles(account, "wait");

        var result = await server.RunAsync(token, "syncs", "trigger", syncId, "--wait");

        Assert.True(result.ExitCode == 0, result.ToString());
        var run = result.Json;
        Assert.Equal("SUCCEEDED", run["state"]!.GetValue<string>());
        Assert.Equal("INCREMENTAL", run["type"]!.GetValue<string>());
        // Plain progress lines on stderr (no terminal), each naming the run: queued or running first, then the
        // records the run wrote, then the outcome with the run's counts.
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var runId = run["id"]!.GetValue<string>();
        Assert.All(lines, l => Assert.StartsWith($"run {runId} ", l));
        Assert.Matches(@"(QUEUED|RUNNING) · 0 records · 0 pages", lines[0]);
        // The new files are created; their folder may be updated too (its modification time moved).
        Assert.Contains(lines, l => l.Contains(" RUNNING · "));
        Assert.Matches($@"SUCCEEDED · ({SlowAccount.BigFiles}|{SlowAccount.BigFiles + 1}) records · 1 page · [0-9.]+ s$", lines[^2]);
        Assert.Matches($@"SUCCEEDED after [0-9.]+ s: {SlowAccount.BigFiles} created, [01] updated, 0 deleted$", lines[^1]);
        var records = await server.OkAsync(token, "records", "list", syncId);
        Assert.Equal(3 + SlowAccount.BigFiles, records["paging"]!["totalRecords"]!.GetValue<long>());
    }

    [Fact]
    public async Task Trigger_wait_in_table_format_prints_the_run_and_the_outcome_on_stdout()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);

        var result = await server.RunAsync(token, "syncs", "trigger", syncId, "--wait", "--full", "--output", "table");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"│ state\s+│ SUCCEEDED", result.StdOut);
        Assert.Matches(@"SUCCEEDED after [0-9.]+ s: 0 created, 0 updated, 0 deleted", result.StdOut);
    }

    [Fact]
    public async Task Trigger_wait_exits_1_when_the_run_is_cancelled()
    {
        var token = server.NewUserToken();
        var (account, _, syncId) = await server.IdleSyncAsync(token);
        SlowAccount.AddBigFiles(account, "cancelled", count: 16); // still running when the disable comes

        using var waiting = server.StartLong(token, "syncs", "trigger", syncId, "--wait");
        // Disable cancels the open runs: poll until the triggered run exists, then disable.
        await WaitForRunAsync(token, syncId, "MANUAL");
        await server.OkAsync(token, "syncs", "disable", syncId);

        var result = await waiting.ExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("CANCELLED", result.Json["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task SIGINT_during_trigger_wait_exits_130_within_a_second_or_two_and_prints_no_outcome()
    {
        var token = server.NewUserToken();
        var (account, _, syncId) = await server.IdleSyncAsync(token);
        SlowAccount.AddBigFiles(account, "sigint", count: 16);

        using var waiting = server.StartLong(token, "syncs", "trigger", syncId, "--wait");
        await WaitForRunAsync(token, syncId, "MANUAL");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        waiting.Interrupt();
        var result = await waiting.ExitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed.TotalSeconds:0.0} s to stop\n{result}");
        Assert.Equal("", result.StdOut); // no run printed: its outcome is not known
        Assert.Matches(@"interrupted: run [0-9a-f-]{36} was (QUEUED|RUNNING); it goes on on the server \(grpcsync syncs runs ", result.StdErr);
    }

    [Fact]
    public async Task Get_watch_prints_the_Sync_again_when_it_changes_and_exits_3_once_it_is_deleted()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);

        using var watch = server.StartLong(token, "syncs", "get", syncId, "--watch", "--interval", "0.2");
        var first = JsonNode.Parse(await watch.NextLineAsync())!;
        Assert.Equal("IDLE", first["status"]!.GetValue<string>());

        await server.OkAsync(token, "syncs", "disable", syncId);
        var second = JsonNode.Parse(await watch.NextLineAsync())!;
        Assert.Equal("DISABLED", second["status"]!.GetValue<string>());

        await server.OkAsync(token, "syncs", "delete", syncId);
        var result = await watch.ExitAsync();
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("NOT_FOUND", result.StdErr);
    }

    private async Task WaitForRunAsync(string token, string syncId, string trigger)
    {
        for (var i = 0; i < 300; i++)
        {
            var runs = (await server.OkAsync(token, "syncs", "runs", syncId))["runs"]!.AsArray();
            if (runs.Any(r => r!["trigger"]!.GetValue<string>() == trigger))
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"no {trigger} run appeared on Sync {syncId}");
    }
}
