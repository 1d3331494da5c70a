namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>A scratch directory with a fresh project key; deleted (after its servers stopped) on dispose.</summary>
public sealed class TestEnvironment : IDisposable
{
    public TestEnvironment()
    {
        Root = Directory.CreateTempSubdirectory("grpcsync-e2e-").FullName;
        DataDirectory = Directory.CreateDirectory(Path.Combine(Root, "data")).FullName;
        FilesRoot = Directory.CreateDirectory(Path.Combine(Root, "files")).FullName;
        PublicKeyFile = Key.WritePublicKey(Path.Combine(Root, $"{TestSigningKey.ProjectId}-public.pem"));
    }

    public string Root { get; }
    public string DataDirectory { get; }

    /// <summary>The filesystem connector's allowed root: account directories live below it.</summary>
    public string FilesRoot { get; }
    public string PublicKeyFile { get; }
    public TestSigningKey Key { get; } = new();

    /// <summary>
    /// Starts the server with <see cref="DataDirectory"/>, the project key in <see cref="PublicKeyFile"/> and the
    /// filesystem connector allowed to read below <see cref="FilesRoot"/>; waits until GET /healthz answers 200.
    /// <paramref name="settings"/> adds or overrides environment variables (e.g. engine settings).
    /// </summary>
    public Task<ServerProcess> StartServerAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GrpcSync__DataDirectory"] = DataDirectory,
            ["GrpcSync__Auth__AudienceHosts__0"] = TestSigningKey.AudienceHost,
            [$"GrpcSync__Auth__Projects__{TestSigningKey.ProjectId}__PublicKeyFile"] = PublicKeyFile,
            // The engine runs with its defaults; the built-in filesystem connector may read below FilesRoot only.
            ["GrpcSync__Connectors__Filesystem__AllowedRoots__0"] = FilesRoot,
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }
        return ServerProcess.StartAsync(new ServerProcessOptions { Environment = environment });
    }

    /// <summary>
    /// A new filesystem account below <see cref="FilesRoot"/> (its absolute path is a credential's
    /// secret) holding <see cref="AccountFiles"/>, and returns its path.
    /// </summary>
    public string NewAccount()
    {
        var account = Directory.CreateDirectory(Path.Combine(FilesRoot, "account-" + Guid.NewGuid().ToString("N"))).FullName;
        foreach (var (path, text) in AccountFiles)
        {
            var file = Path.Combine(account, path.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, text);
        }
        return account;
    }

    /// <summary>The files of every account (the folder <c>root</c> is what configurations name).</summary>
    public static readonly IReadOnlyList<(string Path, string Text)> AccountFiles =
    [
        ("notes.txt", "top-level notes\n"),
        ("root/report.csv", "a,b\n1,2\n"),
        ("root/sub/deep.md", "# deep\n"),
    ];

    /// <summary>Every record of an account: its files and folders (record ids are relative paths).</summary>
    public static readonly string[] AccountRecordIds = ["notes.txt", "root", "root/report.csv", "root/sub", "root/sub/deep.md"];

    public void Dispose()
    {
        Key.Dispose();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(200);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }
}

/// <summary>One running server shared by the tests of a class (each test uses its own user, so its own data).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private readonly TestEnvironment _environment = new();
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public TestSigningKey Key => _environment.Key;

    /// <summary>A new filesystem account directory (see <see cref="TestEnvironment.NewAccount"/>).</summary>
    public string NewAccount() => _environment.NewAccount();

    /// <summary>A token for a new, unique user: tests sharing the server never see each other's data.</summary>
    public string NewUserToken() => Key.CreateToken($"user-{Guid.NewGuid():N}");

    public HttpClient CreateRestClient() => new() { BaseAddress = Server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync() => _server = await _environment.StartServerAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _environment.Dispose();
    }
}
