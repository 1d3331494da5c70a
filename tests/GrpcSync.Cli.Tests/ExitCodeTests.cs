using GrpcSync.Cli.Tests.Infrastructure;

namespace GrpcSync.Cli.Tests;

/// <summary>The documented exit codes and error output: 2 bad input, 3 not found, 4 bad token, 5 unreachable.</summary>
[Collection(CliCollection.Name)]
public sealed class ExitCodeTests(CliServer server)
{
    [Fact]
    public async Task Invalid_argument_is_2_with_the_code_message_and_field_violations()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);

        var json = await server.RunAsync(token, "syncs", "update", syncId, "--frequency", "7m");
        Assert.True(json.ExitCode == 2, json.ToString());
        Assert.Equal("INVALID_ARGUMENT", json.Error["code"]!.GetValue<string>());
        Assert.Contains(json.Error["fieldViolations"]!.AsArray(), v => v!["field"]!.GetValue<string>() == "incremental_accumulator_frequency"
                                                                       || v["field"]!.GetValue<string>() == "incrementalAccumulatorFrequency");

        var text = await server.RunAsync(token, "syncs", "update", syncId, "--output", "table");
        Assert.True(text.ExitCode == 2, text.ToString());
        Assert.StartsWith("error: INVALID_ARGUMENT: ", text.StdErr);
    }

    [Fact]
    public async Task A_malformed_id_is_2_and_an_unknown_one_is_3_with_its_reason()
    {
        var token = server.NewUserToken();
        var malformed = await server.RunAsync(token, "syncs", "get", "not-a-uuid");
        Assert.True(malformed.ExitCode == 2, malformed.ToString());

        var unknown = await server.RunAsync(token, "syncs", "get", Guid.NewGuid().ToString(), "--output", "table");
        Assert.True(unknown.ExitCode == 3, unknown.ToString());
        Assert.StartsWith("error: NOT_FOUND: ", unknown.StdErr);
        Assert.Contains("reason: SYNC_NOT_FOUND", unknown.StdErr);
    }

    [Fact]
    public async Task A_bad_or_missing_token_is_4_and_the_token_option_wins_over_the_environment()
    {
        var foreign = await server.RunAsync(CliServer.ForeignToken(), "syncs", "list");
        Assert.True(foreign.ExitCode == 4, foreign.ToString());
        Assert.Equal("UNAUTHENTICATED", foreign.Error["code"]!.GetValue<string>());

        var none = await CliProcess.RunAsync(["syncs", "list", "--server", server.Address]);
        Assert.True(none.ExitCode == 4, none.ToString());

        var byOption = await server.RunAsync(CliServer.ForeignToken(), "syncs", "list", "--token", server.NewUserToken());
        Assert.True(byOption.ExitCode == 0, byOption.ToString());
    }

    [Fact]
    public async Task An_unreachable_server_is_5()
    {
        var port = LoopbackPorts.TwoFree().Item1; // free: nothing listens there
        var result = await CliProcess.RunAsync(["syncs", "list", "--server", $"http://127.0.0.1:{port}", "--token", "x", "--output", "table"]);
        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.Contains($"cannot reach the GrpcSync server at http://127.0.0.1:{port}", result.StdErr);

        var json = await CliProcess.RunAsync(["syncs", "list", "--server", $"http://127.0.0.1:{port}"]);
        Assert.True(json.ExitCode == 5, json.ToString());
        Assert.Equal(5, json.Error["exitCode"]!.GetValue<int>());
    }

    [Fact]
    public async Task Usage_errors_are_2_without_a_call()
    {
        var missing = await CliProcess.RunAsync(["syncs", "get"]);
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("sync-id", missing.StdErr);

        var unknownCommand = await CliProcess.RunAsync(["syncs", "frobnicate"]);
        Assert.True(unknownCommand.ExitCode == 2, unknownCommand.ToString());

        var badOutput = await CliProcess.RunAsync(["syncs", "list", "--output", "xml"]);
        Assert.True(badOutput.ExitCode == 2, badOutput.ToString());

        var badServer = await CliProcess.RunAsync(["syncs", "list", "--server", "ftp://x"]);
        Assert.True(badServer.ExitCode == 2, badServer.ToString());

        var badJson = await server.RunAsync(server.NewUserToken(), "syncs", "enable", "--integration", "filesystem", "--pipeline", "files",
            "--configuration", "{not json");
        Assert.True(badJson.ExitCode == 2, badJson.ToString());
    }

    [Fact]
    public async Task Help_exits_0_and_lists_the_commands()
    {
        var help = await CliProcess.RunAsync(["--help"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        foreach (var command in new[] { "syncs", "records", "credentials", "events", "webhooks" })
        {
            Assert.Contains(command, help.StdOut);
        }
    }
}
