using System.Globalization;
using Npgsql;

namespace GrpcSync.Bench;

/// <summary>
/// A throwaway PostgreSQL server for figure 6: initdb in the work directory, started with pg_ctl on a free
/// loopback port (as the postgres user when running as root), stopped and removed afterwards. Default
/// durability (fsync=on, synchronous_commit=on): every commit waits for its WAL flush.
/// </summary>
public sealed class Postgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _directory;
    private readonly bool _asPostgresUser;
    private bool _running;

    private Postgres(string bin, string directory, bool asPostgresUser, int port)
    {
        _bin = bin;
        _directory = directory;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    public int Port { get; }
    public string DataDirectory => Path.Combine(_directory, "data");
    public string Version { get; private set; } = "";

    /// <summary>The postmaster and its backends (for the CPU columns).</summary>
    public IEnumerable<int> ProcessIds()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            var first = File.ReadLines(pidFile).FirstOrDefault();
            return int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? CpuMeter.WithChildren(pid).ToList() : [];
        }
        catch (IOException)
        {
            return [];
        }
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={database};Timeout=15";

    public static async Task<Postgres> StartAsync(string workDirectory)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new BenchException("--postgres needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb); Debian: apt-get install postgresql.");
        }
        var asPostgres = Environment.UserName == "root";
        var directory = Path.Combine(workDirectory, "pg");
        Directory.CreateDirectory(directory);
        if (asPostgres)
        {
            // The postgres user must reach the directory: the work directory is made traversable (run.sh) and this one is its own.
            await Must("chown", ["-R", "postgres", directory], "chown of the PostgreSQL directory");
        }
        var server = new Postgres(bin, directory, asPostgres, ChildProcess.FreePorts(1)[0]);
        await server.Run("initdb", ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
        var options = $"-c listen_addresses=127.0.0.1 -p {server.Port} -k {directory} -c max_connections=200";
        server._running = true;
        await server.Run("pg_ctl", ["-D", server.DataDirectory, "-l", Path.Combine(directory, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
        await using (var admin = new NpgsqlConnection(server.ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE grpcsync_bench", admin);
            await create.ExecuteNonQueryAsync();
            await using var version = new NpgsqlCommand("SHOW server_version", admin);
            server.Version = (string?)await version.ExecuteScalarAsync() ?? "";
        }
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_running)
        {
            _running = false;
            NpgsqlConnection.ClearAllPools();
            await Run("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"]);
        }
    }

    /// <summary>Stops the server from an exit handler (synchronously, best effort).</summary>
    public void StopNow()
    {
        if (_running)
        {
            _running = false;
            try
            {
                Run("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]).GetAwaiter().GetResult();
            }
            catch (BenchException)
            {
                // best effort
            }
        }
    }

    private async Task Run(string tool, IReadOnlyList<string> args)
    {
        var path = Path.Combine(_bin, tool);
        var result = _asPostgresUser
            ? await Command.RunAsync("runuser", ["-u", "postgres", "--", path, .. args], TimeSpan.FromSeconds(120), _directory)
            : await Command.RunAsync(path, args, TimeSpan.FromSeconds(120), _directory);
        if (result.ExitCode != 0)
        {
            var log = Path.Combine(_directory, "server.log");
            throw new BenchException($"{tool} failed (exit {result.ExitCode}): {result.Both}" +
                                     (File.Exists(log) ? "\n--- server.log ---\n" + File.ReadAllText(log) : ""));
        }
    }

    private static async Task Must(string tool, IReadOnlyList<string> args, string what)
    {
        var result = await Command.RunAsync(tool, args, TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0)
        {
            throw new BenchException($"{what} failed: {result.Both}");
        }
    }
}
