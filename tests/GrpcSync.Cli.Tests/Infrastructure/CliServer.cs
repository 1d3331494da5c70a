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
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["GrpcSync__Webhooks__AllowPrivateNetworks"] = "true",
        // Renewed every 2 s: a cancelled run's worker stops hashing within that (the default lease is 30 s).
        ["GrpcSync__Engine__Lease"] = "00:00:06",
    };

    private readonly TestEnvironment _environment = new();
    private ServerProcess? _server;
    private HttpClient? _http;

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

    /// <summary>
    /// Polls the Sync (over REST: setup and waiting need no CLI process each time) until it shows
    /// <paramref name="status"/>, at most 60 s.
    /// </summary>
    public async Task<JsonObject> WaitForStatusAsync(string token, string syncId, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonObject sync;
        do
        {
            sync = await RestAsync(HttpMethod.Get, $"api/syncs/{syncId}", token);
            if (sync["status"]?.GetValue<string>() == status)
            {
                return sync;
            }
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"Sync {syncId} did not reach {status}; last: {sync.ToJsonString()}\n--- server ---\n{Server.Output}");
        return sync;
    }

    /// <summary>A Sync of a fresh account whose INITIAL run has finished (IDLE), set up over REST.</summary>
    public async Task<(string Account, string CredentialId, string SyncId)> IdleSyncAsync(string token)
    {
        var account = NewAccount();
        var credential = await RestAsync(HttpMethod.Post, "api/credentials", token,
            new JsonObject { ["integration"] = "filesystem", ["displayName"] = "Files", ["secret"] = account });
        var credentialId = credential["id"]!.GetValue<string>();
        var sync = await RestAsync(HttpMethod.Post, "api/syncs", token, new JsonObject
        {
            ["integration"] = "filesystem",
            ["pipeline"] = "files",
            ["credentialId"] = credentialId,
            ["configuration"] = new JsonObject { ["folder"] = "root" },
            ["incrementalAccumulatorFrequency"] = "1h",
        });
        var syncId = sync["id"]!.GetValue<string>();
        await WaitForStatusAsync(token, syncId, "IDLE");
        return (account, credentialId, syncId);
    }

    private async Task<JsonObject> RestAsync(HttpMethod method, string path, string token, JsonObject? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        }
        using var response = await (_http ?? throw new InvalidOperationException("The server has not started.")).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task InitializeAsync()
    {
        _server = await _environment.StartServerAsync(Settings);
        _http = new HttpClient { BaseAddress = _server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }


    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _environment.Dispose();
    }
}
