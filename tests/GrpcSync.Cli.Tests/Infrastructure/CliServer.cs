using System.Text.Json.Nodes;
using GrpcSync.EndToEnd.Tests.Infrastructure;

namespace GrpcSync.Cli.Tests.Infrastructure;

/// <summary>The one xunit collection of this suite: one server for every test class (each test has its own user).</summary>
[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliServer>
{
    public const string Name = "cli";
}

/// <summary>
/// One real server (a separate process with a filesystem connector root and a project key) and the ways the
/// tests drive the CLI against it. Webhooks may point at loopback (AllowPrivateNetworks): nothing listens there,
/// so deliveries fail, which is all the webhook commands need.
/// </summary>
public sealed class CliServer : IAsyncLifetime
{
    private readonly TestEnvironment _environment = new();
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public string Address => Server.GrpcBaseAddress;

    public string NewUserToken() => _environment.Key.CreateToken($"user-{Guid.NewGuid():N}");

    public string NewAdminToken() => _environment.Key.CreateToken($"admin-{Guid.NewGuid():N}", admin: true);

    /// <summary>A token the server cannot trust: signed by another key.</summary>
    public static string ForeignToken()
    {
        using var other = new TestSigningKey();
        return other.CreateToken("intruder");
    }

    /// <inheritdoc cref="TestEnvironment.NewAccount"/>
    public string NewAccount() => _environment.NewAccount();

    /// <summary>grpcsync <paramref name="arguments"/> --server (this server), the token in GRPCSYNC_TOKEN.</summary>
    public Task<CliResult> RunAsync(string token, params string[] arguments) =>
        CliProcess.RunAsync([.. arguments, "--server", Address], new Dictionary<string, string> { ["GRPCSYNC_TOKEN"] = token });

    /// <summary>Like <see cref="RunAsync"/>, and asserts exit code 0; returns stdout as JSON.</summary>
    public async Task<JsonNode> OkAsync(string token, params string[] arguments)
    {
        var result = await RunAsync(token, arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json;
    }

    public RunningCli StartLong(string token, params string[] arguments) =>
        CliProcess.StartLong([.. arguments, "--server", Address], new Dictionary<string, string> { ["GRPCSYNC_TOKEN"] = token });

    /// <summary>A filesystem credential for <paramref name="account"/>; returns its id.</summary>
    public async Task<string> CreateCredentialAsync(string token, string account) =>
        (await OkAsync(token, "credentials", "create", "--integration", "filesystem", "--name", "Files", "--secret", account))["id"]!.GetValue<string>();

    /// <summary>A filesystem Sync of the account's folder <c>root</c> (its INITIAL run queued); returns the Sync.</summary>
    public async Task<JsonObject> EnableAsync(string token, string credentialId, string frequency = "1h") =>
        (await OkAsync(token, "syncs", "enable", "--integration", "filesystem", "--pipeline", "files",
            "--credential", credentialId, "--configuration", """{"folder":"root"}""", "--frequency", frequency)).AsObject();

    /// <summary>Polls `syncs get` until the Sync shows <paramref name="status"/> (at most 60 s).</summary>
    public async Task<JsonObject> WaitForStatusAsync(string token, string syncId, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonObject sync;
        do
        {
            sync = (await OkAsync(token, "syncs", "get", syncId)).AsObject();
            if (sync["status"]?.GetValue<string>() == status)
            {
                return sync;
            }
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"Sync {syncId} did not reach {status}; last: {sync.ToJsonString()}\n--- server ---\n{Server.Output}");
        return sync;
    }

    /// <summary>A Sync of a fresh account whose INITIAL run has finished (IDLE).</summary>
    public async Task<(string Account, string CredentialId, string SyncId)> IdleSyncAsync(string token)
    {
        var account = NewAccount();
        var credentialId = await CreateCredentialAsync(token, account);
        var syncId = (await EnableAsync(token, credentialId))["id"]!.GetValue<string>();
        await WaitForStatusAsync(token, syncId, "IDLE");
        return (account, credentialId, syncId);
    }

    public async Task InitializeAsync() => _server = await _environment.StartServerAsync(new Dictionary<string, string>
    {
        ["GrpcSync__Webhooks__AllowPrivateNetworks"] = "true",
        // Renewed every 2 s: a cancelled run's worker stops hashing within that (the default lease is 30 s).
        ["GrpcSync__Engine__Lease"] = "00:00:06",
    });

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _environment.Dispose();
    }
}
