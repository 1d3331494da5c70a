using System.Text.Json.Nodes;
using GrpcSync.Cli.Tests.Infrastructure;

namespace GrpcSync.Cli.Tests;

/// <summary><c>grpcsync events watch</c>: a Sync's stream and the project's, one line per event.</summary>
[Collection(CliCollection.Name)]
public sealed class EventCommandsTests(CliServer server)
{
    [Fact]
    public async Task Watch_a_Sync_prints_one_JSON_line_per_event_with_its_cursor_and_resumes_after_it()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);

        var result = await server.RunAsync(token, "events", "watch", "--sync", syncId, "--limit", "2");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Equal(syncId, l["event"]!["syncInstanceId"]!.GetValue<string>()));
        Assert.Equal("run_started", lines[0]["event"]!["event"]!.GetValue<string>());
        Assert.Equal(["run_started", "run_finished"], lines.Select(l => l["event"]!["event"]!.GetValue<string>()).ToArray());

        var resumed = await server.RunAsync(token, "events", "watch", "--sync", syncId, "--limit", "1",
            "--cursor", lines[0]["cursor"]!.GetValue<string>());
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal("run_finished", JsonNode.Parse(resumed.StdOut)!["event"]!["event"]!.GetValue<string>());

        var table = await server.RunAsync(token, "events", "watch", "--sync", syncId, "--limit", "1", "--output", "table");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches($@"^\d{{4}}-\d\d-\d\dT\S+Z\s+run_started\s+{syncId}\s+\{{", table.StdOut);
    }

    [Fact]
    public async Task Watch_the_project_needs_an_admin_token_and_filters_by_type()
    {
        var token = server.NewUserToken();
        await server.IdleSyncAsync(token);

        var admin = await server.RunAsync(server.NewAdminToken(), "events", "watch", "--event", "sync_complete", "--limit", "1");
        Assert.True(admin.ExitCode == 0, admin.ToString());
        Assert.Equal("sync_complete", JsonNode.Parse(admin.StdOut)!["event"]!["event"]!.GetValue<string>());

        var user = await server.RunAsync(token, "events", "watch", "--limit", "1");
        Assert.True(user.ExitCode == 4, user.ToString());
        Assert.Equal("PERMISSION_DENIED", user.Error["code"]!.GetValue<string>());
        Assert.Equal("ADMIN_REQUIRED", user.Error["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_ends_OK_when_the_Sync_is_deleted()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);
        using var watch = server.StartLong(token, "events", "watch", "--sync", syncId);
        await watch.NextLineAsync(); // the stream is open and caught up with the first event

        await server.OkAsync(token, "syncs", "delete", syncId);

        var result = await watch.ExitAsync();
        Assert.True(result.ExitCode == 0, result.ToString());
        var last = JsonNode.Parse(result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!;
        Assert.Equal("sync_deleted", last["event"]!["event"]!.GetValue<string>());
    }
}
