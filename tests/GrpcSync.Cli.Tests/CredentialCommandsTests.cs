using GrpcSync.Cli.Tests.Infrastructure;

namespace GrpcSync.Cli.Tests;

/// <summary><c>grpcsync credentials create|list|get|delete</c>; the secret goes in and never comes out.</summary>
[Collection(CliCollection.Name)]
public sealed class CredentialCommandsTests(CliServer server)
{
    [Fact]
    public async Task Create_list_get_delete_in_JSON_never_show_the_secret()
    {
        var token = server.NewUserToken();
        var account = server.NewAccount();

        var create = await server.RunAsync(token, "credentials", "create", "--integration", "filesystem", "--name", "My files", "--secret", account);
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.DoesNotContain(account, create.StdOut);
        var id = create.Json["id"]!.GetValue<string>();
        Assert.Equal("My files", create.Json["displayName"]!.GetValue<string>());

        var list = await server.OkAsync(token, "credentials", "list", "--integration", "filesystem");
        Assert.Equal(id, Assert.Single(list["data"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.Empty((await server.OkAsync(token, "credentials", "list", "--integration", "s3"))["data"]!.AsArray());

        var get = await server.RunAsync(token, "credentials", "get", id);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("filesystem", get.Json["integration"]!.GetValue<string>());
        Assert.DoesNotContain(account, get.StdOut);

        var deleted = await server.OkAsync(token, "credentials", "delete", id);
        Assert.Equal(id, deleted["id"]!.GetValue<string>());
        var gone = await server.RunAsync(token, "credentials", "get", id);
        Assert.True(gone.ExitCode == 3, gone.ToString());
    }

    [Fact]
    public async Task Create_takes_the_secret_as_JSON_or_from_a_file_and_replays_an_idempotency_key()
    {
        var token = server.NewUserToken();
        var file = Path.Combine(Path.GetTempPath(), $"grpcsync-cli-secret-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, System.Text.Json.JsonSerializer.Serialize(server.NewAccount()));
        try
        {
            var fromFile = await server.OkAsync(token, "credentials", "create", "--integration", "filesystem", "--name", "From a file",
                "--secret-file", file, "--idempotency-key", "key-1");
            var again = await server.OkAsync(token, "credentials", "create", "--integration", "filesystem", "--name", "From a file",
                "--secret-file", file, "--idempotency-key", "key-1");
            Assert.Equal(fromFile["id"]!.GetValue<string>(), again["id"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(file);
        }
        var asJson = await server.OkAsync(token, "credentials", "create", "--integration", "filesystem", "--name", "As JSON",
            "--secret-json", System.Text.Json.JsonSerializer.Serialize(server.NewAccount()));
        Assert.Equal("As JSON", asJson["displayName"]!.GetValue<string>());
        Assert.Equal(2, (await server.OkAsync(token, "credentials", "list"))["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task Table_output_lists_the_credentials()
    {
        var token = server.NewUserToken();
        var id = await server.CreateCredentialAsync(token, server.NewAccount());

        var list = await server.RunAsync(token, "credentials", "list", "--output", "table");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches($@"{id}\s+│ filesystem\s+│ Files", list.StdOut);
        var get = await server.RunAsync(token, "credentials", "get", id, "--output", "table");
        Assert.Matches(@"│ displayName\s+│ Files", get.StdOut);
    }

    [Fact]
    public async Task A_request_the_server_refuses_is_exit_code_2_with_its_field_violation()
    {
        var tooLong = new string('x', 201);
        var result = await server.RunAsync(server.NewUserToken(), "credentials", "create", "--integration", "filesystem", "--name", tooLong,
            "--secret", server.NewAccount());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("INVALID_ARGUMENT", result.Error["code"]!.GetValue<string>());
        Assert.Contains(result.Error["fieldViolations"]!.AsArray(), v => v!["field"]!.GetValue<string>() == "displayName");

        var text = await server.RunAsync(server.NewUserToken(), "credentials", "create", "--integration", "filesystem", "--name", tooLong,
            "--secret", server.NewAccount(), "--output", "table");
        Assert.True(text.ExitCode == 2, text.ToString());
        Assert.StartsWith("error: INVALID_ARGUMENT: ", text.StdErr);
        Assert.Contains("\n  displayName: ", text.StdErr);
    }
}
