using GrpcSync.EndToEnd.Tests.Infrastructure;
using GrpcSync.Testing.Postgres;

namespace GrpcSync.Replicas.Tests.Infrastructure;

/// <summary>
/// What the replicas of one test share: a fresh PostgreSQL database, one project key, one Data
/// Protection key directory (so every replica decrypts the credential secrets another one encrypted)
/// and one allowed root for filesystem accounts. Each replica gets its own data directory and ports.
/// Disposing kills the replicas still running, drops the database and deletes the scratch directory.
/// </summary>
public sealed class ReplicaCluster : IAsyncDisposable
{
    private readonly PostgresServerFixture _postgres;
    private readonly Dictionary<string, string> _settings;
    private readonly List<ServerProcess> _replicas = [];

    private ReplicaCluster(PostgresServerFixture postgres, string root, string connectionString, IReadOnlyDictionary<string, string> settings)
    {
        _postgres = postgres;
        Root = root;
        ConnectionString = connectionString;
        AccountsRoot = Directory.CreateDirectory(Path.Combine(root, "accounts")).FullName;
        KeysDirectory = Directory.CreateDirectory(Path.Combine(root, "shared-keys")).FullName;
        var publicKeyFile = Key.WritePublicKey(Path.Combine(root, $"{TestSigningKey.ProjectId}-public.pem"));
        _settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GrpcSync__Store__Provider"] = "Postgres",
            ["GrpcSync__Store__ConnectionString"] = connectionString,
            ["GrpcSync__KeysDirectory"] = KeysDirectory,
            ["GrpcSync__Auth__AudienceHosts__0"] = TestSigningKey.AudienceHost,
            [$"GrpcSync__Auth__Projects__{TestSigningKey.ProjectId}__PublicKeyFile"] = publicKeyFile,
            ["GrpcSync__Connectors__Filesystem__AllowedRoots__0"] = AccountsRoot,
            // One test user drives 60 Syncs (enables, triggers, per-Sync run listings while polling): the
            // shipped per-caller limit (50/s, burst 100) would answer 429 sooner the faster the machine.
            ["GrpcSync__RateLimits__PermitsPerSecond"] = "100000",
            ["GrpcSync__RateLimits__Burst"] = "100000",
            // One line per log entry, so each engine message is one line of stdout.
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }
    }

    /// <summary>The scratch directory of this test.</summary>
    public string Root { get; }

    /// <summary>The Npgsql connection string of the database the replicas share.</summary>
    public string ConnectionString { get; }

    /// <summary>The only allowed root of filesystem credentials; make account directories below it.</summary>
    public string AccountsRoot { get; }

    /// <summary>The Data Protection key directory every replica uses.</summary>
    public string KeysDirectory { get; }

    /// <summary>The project's signing key (the replicas hold its public half).</summary>
    public TestSigningKey Key { get; } = new();

    /// <summary>A new cluster on a fresh database; <paramref name="settings"/> add to or override the shared environment.</summary>
    public static async Task<ReplicaCluster> CreateAsync(PostgresServerFixture postgres, IReadOnlyDictionary<string, string> settings)
    {
        var root = Directory.CreateTempSubdirectory("grpcsync-replicas-").FullName;
        var connectionString = await postgres.CreateDatabaseAsync();
        return new ReplicaCluster(postgres, root, connectionString, settings);
    }

    /// <summary>Starts one more replica (its own data directory, the shared everything else).</summary>
    public async Task<ServerProcess> StartReplicaAsync(string name)
    {
        var environment = new Dictionary<string, string>(_settings, StringComparer.Ordinal)
        {
            ["GrpcSync__DataDirectory"] = Directory.CreateDirectory(Path.Combine(Root, "replica-" + name)).FullName,
        };
        // A PostgreSQL-backed server migrates the schema before it answers /healthz: allow it more time.
        var replica = await ServerProcess.StartAsync(new ServerProcessOptions
        {
            Name = name,
            Environment = environment,
            StartupTimeout = TimeSpan.FromSeconds(60),
        });
        lock (_replicas)
        {
            _replicas.Add(replica);
        }
        return replica;
    }

    /// <summary>A REST client of <paramref name="replica"/> for <paramref name="userId"/> of the test project.</summary>
    public SyncClient Client(ServerProcess replica, string userId) => new(replica, Key.CreateToken(userId));

    /// <summary>Where disposal reports how long its steps took (the test's output), if anywhere.</summary>
    public Action<string>? Log { get; set; }

    public async ValueTask DisposeAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var replica in _replicas)
        {
            if (replica.HasExited && !replica.StoppedByTest)
            {
                // A replica that died on its own is the story of the failure; its last lines say why.
                Log?.Invoke($"replica {replica.Name} exited by itself with code {replica.ExitCode}; its last lines:");
                foreach (var line in replica.Lines.TakeLast(60))
                {
                    Log?.Invoke("  " + line);
                }
            }
            await replica.DisposeAsync();
        }
        Log?.Invoke($"cleanup: replicas stopped in {clock.ElapsedMilliseconds} ms");
        Key.Dispose();
        try
        {
            clock.Restart();
            await _postgres.DropDatabaseAsync(ConnectionString);
            Log?.Invoke($"cleanup: database dropped in {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            clock.Restart();
            for (var attempt = 0; attempt < 5; attempt++)
            {
                try
                {
                    Directory.Delete(Root, recursive: true);
                    break;
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    await Task.Delay(200);
                }
            }
            Log?.Invoke($"cleanup: scratch directory deleted in {clock.ElapsedMilliseconds} ms");
        }
    }
}
