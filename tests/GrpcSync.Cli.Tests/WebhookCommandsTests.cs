using GrpcSync.Cli.Tests.Infrastructure;

namespace GrpcSync.Cli.Tests;

/// <summary><c>grpcsync webhooks …</c> with an administrator's token (nothing listens at the URL: deliveries fail).</summary>
[Collection(CliCollection.Name)]
public sealed class WebhookCommandsTests(CliServer server)
{
    [Fact]
    public async Task Create_list_get_update_rotate_deliveries_redeliver_delete()
    {
        var admin = server.NewAdminToken();
        var created = await server.OkAsync(admin, "webhooks", "create", "--url", "http://127.0.0.1:9/hooks",
            "--event", "sync_complete", "--event", "sync_errored", "--description", "cli test");
        var id = created["id"]!.GetValue<string>();
        Assert.StartsWith("whsec_", created["secret"]!.GetValue<string>());
        Assert.Equal(["sync_complete", "sync_errored"], created["events"]!.AsArray().Select(e => e!.GetValue<string>()).ToArray());

        var list = await server.OkAsync(admin, "webhooks", "list");
        Assert.Contains(list["data"]!.AsArray(), w => w!["id"]!.GetValue<string>() == id);
        var get = await server.OkAsync(admin, "webhooks", "get", id);
        Assert.False(get.AsObject().ContainsKey("secret"));

        var updated = await server.OkAsync(admin, "webhooks", "update", id, "--enabled", "false", "--description", "paused", "--all-events");
        Assert.False(updated["enabled"]!.GetValue<bool>());
        Assert.Equal("paused", updated["description"]!.GetValue<string>());
        Assert.Empty(updated["events"]!.AsArray());

        var rotated = await server.OkAsync(admin, "webhooks", "rotate-secret", id, "--grace-seconds", "60");
        Assert.StartsWith("whsec_", rotated["secret"]!.GetValue<string>());
        Assert.NotEqual(created["secret"]!.GetValue<string>(), rotated["secret"]!.GetValue<string>());

        var deliveries = await server.OkAsync(admin, "webhooks", "deliveries", id, "--state", "FAILED");
        Assert.NotNull(deliveries["data"]);
        var redeliver = await server.RunAsync(admin, "webhooks", "redeliver", id, Guid.NewGuid().ToString());
        Assert.True(redeliver.ExitCode == 3, redeliver.ToString());

        var table = await server.RunAsync(admin, "webhooks", "list", "--output", "table");
        Assert.Matches($@"{id}\s+│ http://127\.0\.0\.1:9/hooks\s+│ false", table.StdOut);

        var deleted = await server.OkAsync(admin, "webhooks", "delete", id);
        Assert.Equal(id, deleted["id"]!.GetValue<string>());
        var gone = await server.RunAsync(admin, "webhooks", "get", id);
        Assert.True(gone.ExitCode == 3, gone.ToString());
    }

    [Fact]
    public async Task A_user_token_is_exit_code_4_and_a_bad_URL_is_exit_code_2()
    {
        var user = await server.RunAsync(server.NewUserToken(), "webhooks", "list");
        Assert.True(user.ExitCode == 4, user.ToString());
        Assert.Equal("ADMIN_REQUIRED", user.Error["reason"]!.GetValue<string>());

        var badUrl = await server.RunAsync(server.NewAdminToken(), "webhooks", "create", "--url", "ftp://example.com/x");
        Assert.True(badUrl.ExitCode == 2, badUrl.ToString());
        Assert.Contains(badUrl.Error["fieldViolations"]!.AsArray(), v => v!["field"]!.GetValue<string>() == "url");
    }
}
