using System.Diagnostics;
using System.Text.Json.Nodes;
using GrpcSync.Cli.Tests.Infrastructure;

namespace GrpcSync.Cli.Tests;

/// <summary>
/// The terminal path, on a real pseudo-terminal of 80 columns (<see cref="TerminalCli"/>): tables by default, the live
/// displays of <c>trigger --wait</c> and <c>get --watch</c>, and Ctrl+C typed at the keyboard.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class TerminalTests(CliServer server)
{
    [Fact]
    public async Task On_a_terminal_every_answer_is_a_table_by_default_and_fits_80_columns()
    {
        var token = server.NewUserToken();
        var (_, credentialId, syncId) = await server.IdleSyncAsync(token);

        var get = await RunAsync(token, "syncs", "get", syncId);
        Assert.Matches($@"│ id\s+│ {syncId}\s+│", get);
        Assert.Matches(@"│ status\s+│ IDLE\s+│", get);
        Assert.DoesNotContain("\"id\":", get); // not JSON

        // Seven columns do not fit 80: the first ones that do are shown whole, the caption names the others.
        var list = await RunAsync(token, "syncs", "list");
        Assert.Matches($@"│ {syncId} │ filesystem\s+│ files\s+│ IDLE\s+│", list);
        Assert.Matches(@"not shown at 80 columns: CREDENTIAL, RECORDS, NEXT RUN \(see -o json\)", Joined(list));

        var runs = await RunAsync(token, "syncs", "runs", syncId);
        Assert.Contains("SUCCEEDED", runs);
        Assert.Contains("INITIAL", runs);

        var records = await RunAsync(token, "records", "list", syncId, "--page-size", "1");
        Assert.Matches(@"│ [0-9a-f-]{36} │ root/\S+\s+│", records);
        Assert.Contains("2 more: --cursor ", records);

        var credentials = await RunAsync(token, "credentials", "list");
        Assert.Contains("filesystem", credentials);
        AssertWholeIds(credentials, credentialId);
    }

    [Fact]
    public async Task Trigger_wait_on_a_terminal_shows_the_progress_then_the_run_and_its_outcome()
    {
        var token = server.NewUserToken();
        var (account, _, syncId) = await server.IdleSyncAsync(token);
        SlowAccount.AddBigFiles(account, "terminal");

        var screen = await RunAsync(token, "syncs", "trigger", syncId, "--wait");

        // The run's id, then the progress line, ending on the run's last state: the records it wrote, one page.
        Assert.Matches(@"^run [0-9a-f-]{36}$", screen.Split('\n').First(l => l.Length > 0));
        Assert.Matches($@"SUCCEEDED · ({SlowAccount.BigFiles}|{SlowAccount.BigFiles + 1}) records · 1 page · [0-9.]+ s", screen);
        Assert.Matches(@"│ state\s+│ SUCCEEDED\s+│", screen);
        Assert.Matches($@"SUCCEEDED after [0-9.]+ s: {SlowAccount.BigFiles} created, [01] updated, 0 deleted", Joined(screen));
    }

    [Fact]
    public async Task Ctrl_C_at_the_terminal_during_trigger_wait_exits_130_at_once_and_the_run_goes_on()
    {
        var token = server.NewUserToken();
        var (account, _, syncId) = await server.IdleSyncAsync(token);
        SlowAccount.AddBigFiles(account, "interrupted", count: 16); // busy for several seconds

        using var terminal = Start(token, "syncs", "trigger", syncId, "--wait");
        await terminal.WaitForAsync(" RUNNING · ", TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        await terminal.TypeAsync("\u0003");
        var exitCode = await terminal.ExitAsync(TimeSpan.FromSeconds(10));

        Assert.True(exitCode == 130, $"exit code {exitCode}:\n{terminal.Text}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed.TotalSeconds:0.0} s to stop");
        Assert.Matches(@"interrupted: run [0-9a-f-]{36} was RUNNING; it goes on on the server", terminal.Text);
        Assert.DoesNotContain("SUCCEEDED after", terminal.Text);
        await WaitForRunStateAsync(token, syncId, "MANUAL", "SUCCEEDED");
    }

    [Fact]
    public async Task Get_watch_on_a_terminal_redraws_the_Sync_in_place_and_Ctrl_C_ends_it_with_0()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);

        using var terminal = Start(token, "syncs", "get", syncId, "--watch", "--interval", "0.2");
        await terminal.WaitForAsync(@"│ status\s+│ IDLE", TimeSpan.FromSeconds(30));
        await server.OkAsync(token, "syncs", "disable", syncId);
        await terminal.WaitForAsync(@"│ status\s+│ DISABLED", TimeSpan.FromSeconds(30));
        Assert.Contains("Ctrl+C to stop", terminal.Text);
        await terminal.TypeAsync("\u0003");

        Assert.Equal(0, await terminal.ExitAsync(TimeSpan.FromSeconds(10)));
    }

    private async Task<string> RunAsync(string token, params string[] arguments)
    {
        var (exitCode, screen) = await TerminalCli.RunAsync([.. arguments, "--server", server.Address], Token(token));
        Assert.True(exitCode == 0, $"grpcsync {string.Join(' ', arguments)}: exit code {exitCode}\n{screen}");
        var wide = screen.Split('\n').Where(l => l.Length > TerminalCli.Columns).ToArray();
        Assert.True(wide.Length == 0, $"lines wider than {TerminalCli.Columns} columns:\n{string.Join('\n', wide)}\n--- screen ---\n{screen}");
        return screen;
    }

    private TerminalCli Start(string token, params string[] arguments) => TerminalCli.Start([.. arguments, "--server", server.Address], Token(token));

    private static Dictionary<string, string> Token(string token) => new() { ["GRPCSYNC_TOKEN"] = token };

    /// <summary>The screen as one line: text that wraps at 80 columns reads on.</summary>
    private static string Joined(string screen) => string.Join(' ', screen.Split('\n').Select(l => l.Trim('│', ' ')));

    /// <summary>An id cut or broken across lines cannot be copied: each must stand whole on one line.</summary>
    private static void AssertWholeIds(string screen, params string[] ids)
    {
        foreach (var id in ids)
        {
            Assert.True(screen.Contains(id, StringComparison.Ordinal), $"{id} is not shown whole:\n{screen}");
        }
    }

    private async Task WaitForRunStateAsync(string token, string syncId, string trigger, string state)
    {
        JsonArray runs = [];
        for (var i = 0; i < 600; i++)
        {
            runs = (await server.OkAsync(token, "syncs", "runs", syncId))["runs"]!.AsArray();
            if (runs.Any(r => r!["trigger"]!.GetValue<string>() == trigger && r["state"]!.GetValue<string>() == state))
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"no {trigger} run reached {state}: {runs.ToJsonString()}");
    }
}
