using GrpcSync.Cli.Tests.Infrastructure;

namespace GrpcSync.Cli.Tests;

/// <summary><c>grpcsync syncs …</c> against the real server: each command's answer in both formats.</summary>
[Collection(CliCollection.Name)]
public sealed class SyncCommandsTests(CliServer server)
{
    [Fact]
    public async Task Enable_list_get_update_disable_reenable_delete_in_JSON_show_the_REST_shapes()
    {
        var token = server.NewUserToken();
        var credentialId = await server.CreateCredentialAsync(token, server.NewAccount());

        var enabled = await server.EnableAsync(token, credentialId);
        var syncId = enabled["id"]!.GetValue<string>();
        Assert.Equal("filesystem", enabled["integration"]!.GetValue<string>());
        Assert.Equal("root", enabled["configuration"]!["folder"]!.GetValue<string>());
        Assert.Equal("1h", enabled["incrementalAccumulatorFrequency"]!.GetValue<string>());
        // The REST shape, not protobuf's default JSON: short enum names, 64-bit counts as numbers.
        Assert.Equal("INITIALIZING", enabled["status"]!.GetValue<string>());
        Assert.Equal(0, enabled["summary"]!["totalRecords"]!.GetValue<long>());

        var idle = await server.WaitForStatusAsync(token, syncId, "IDLE");
        Assert.Equal(3, idle["summary"]!["totalRecords"]!.GetValue<long>()); // root's files and folders: report.csv, sub, sub/deep.md

        var list = await server.OkAsync(token, "syncs", "list");
        Assert.Equal(syncId, Assert.Single(list["data"]!.AsArray())!["id"]!.GetValue<string>());
        var byCredential = await server.OkAsync(token, "syncs", "list", "--credential", credentialId);
        Assert.Single(byCredential["data"]!.AsArray());

        var updated = await server.OkAsync(token, "syncs", "update", syncId, "--frequency", "5m", "--if-match", idle["etag"]!.GetValue<string>());
        Assert.Equal(syncId, updated["id"]!.GetValue<string>());
        Assert.Equal("5m", updated["data"]!["incrementalAccumulatorFrequency"]!.GetValue<string>());
        Assert.Equal("Update request accepted and is being processed", updated["message"]!.GetValue<string>());

        var disabled = await server.OkAsync(token, "syncs", "disable", syncId);
        Assert.Equal("DISABLED", disabled["status"]!.GetValue<string>());
        var reenabled = await server.OkAsync(token, "syncs", "reenable", syncId);
        Assert.Equal("IDLE", reenabled["status"]!.GetValue<string>());

        var deleted = await server.OkAsync(token, "syncs", "delete", syncId);
        Assert.Equal(syncId, deleted["id"]!.GetValue<string>());
        Assert.Empty((await server.OkAsync(token, "syncs", "list"))["data"]!.AsArray());
    }

    [Fact]
    public async Task Update_rebinds_the_credential_and_a_stale_etag_is_refused_with_exit_code_2()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);
        var before = await server.OkAsync(token, "syncs", "get", syncId);
        var other = await server.CreateCredentialAsync(token, server.NewAccount());

        var rebound = await server.OkAsync(token, "syncs", "update", syncId, "--credential", other);
        Assert.Equal(other, rebound["data"]!["credentialId"]!.GetValue<string>());
        Assert.Equal(other, (await server.OkAsync(token, "syncs", "get", syncId))["credentialId"]!.GetValue<string>());

        var stale = await server.RunAsync(token, "syncs", "update", syncId, "--frequency", "10m", "--if-match", before["etag"]!.GetValue<string>());
        Assert.True(stale.ExitCode == 2, stale.ToString());
        Assert.Equal("ABORTED", stale.Error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Trigger_runs_and_cancel_answer_runs_and_cancelling_a_finished_run_is_exit_code_2()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);

        var triggered = await server.OkAsync(token, "syncs", "trigger", syncId, "--full");
        Assert.Equal("FULL", triggered["type"]!.GetValue<string>());
        Assert.Equal("MANUAL", triggered["trigger"]!.GetValue<string>());
        var runId = triggered["id"]!.GetValue<string>();

        var runs = await server.OkAsync(token, "syncs", "runs", syncId);
        Assert.Contains(runs["runs"]!.AsArray(), r => r!["id"]!.GetValue<string>() == runId);
        Assert.Contains(runs["runs"]!.AsArray(), r => r!["type"]!.GetValue<string>() == "INITIAL");
        var onePerPage = await server.OkAsync(token, "syncs", "runs", syncId, "--page-size", "1");
        Assert.Single(onePerPage["runs"]!.AsArray());
        var next = onePerPage["nextPageToken"]!.GetValue<string>();
        Assert.NotEmpty(next);
        var secondPage = await server.OkAsync(token, "syncs", "runs", syncId, "--page-size", "1", "--page-token", next);
        Assert.Single(secondPage["runs"]!.AsArray());

        // The INITIAL run finished long ago: cancelling it is FAILED_PRECONDITION.
        var initialId = runs["runs"]!.AsArray().Single(r => r!["type"]!.GetValue<string>() == "INITIAL")!["id"]!.GetValue<string>();
        var refused = await server.RunAsync(token, "syncs", "cancel", syncId, initialId);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Equal("FAILED_PRECONDITION", refused.Error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cancel_stops_a_running_run()
    {
        var token = server.NewUserToken();
        var account = server.NewAccount();
        SlowAccount.AddBigFiles(account, "cancel", count: 16); // seconds of hashing: still open when the cancel comes
        var credentialId = await server.CreateCredentialAsync(token, account);
        var enabled = await server.EnableAsync(token, credentialId);
        var syncId = enabled["id"]!.GetValue<string>();
        var initial = enabled["pendingRun"]!;

        var cancelled = await server.OkAsync(token, "syncs", "cancel", syncId, initial["id"]!.GetValue<string>());
        Assert.Equal("CANCELLED", cancelled["state"]!.GetValue<string>());
        await server.OkAsync(token, "syncs", "delete", syncId);
    }

    [Fact]
    public async Task Table_output_shows_the_Sync_its_list_and_its_runs()
    {
        var token = server.NewUserToken();
        var (_, credentialId, syncId) = await server.IdleSyncAsync(token);

        var get = await server.RunAsync(token, "syncs", "get", syncId, "--output", "table");
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Matches(@$"│ id\s+│ {syncId}", get.StdOut);
        Assert.Matches(@"│ status\s+│ IDLE", get.StdOut);
        Assert.Matches(@"│ summary\.totalRecords\s+│ 3", get.StdOut);

        var list = await server.RunAsync(token, "syncs", "list", "-o", "table");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("STATUS", list.StdOut);
        Assert.Matches($@"{syncId}\s+│ filesystem\s+│ files\s+│ IDLE\s+│ {credentialId}\s+│ 3", list.StdOut);

        var runs = await server.RunAsync(token, "syncs", "runs", syncId, "-o", "table");
        Assert.True(runs.ExitCode == 0, runs.ToString());
        Assert.Matches(@"INITIAL\s+│ ENABLE\s+│ SUCCEEDED\s+│ 1", runs.StdOut);
    }

    [Fact]
    public async Task Table_output_of_an_empty_list_says_none()
    {
        var result = await server.RunAsync(server.NewUserToken(), "syncs", "list", "--output", "table");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("(none)", result.StdOut);
    }
}
