using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace GrpcSync.SchedulerBench;

/// <summary>
/// A throwaway PostgreSQL server (initdb + pg_ctl from /usr/lib/postgresql/*/bin) in a scratch directory,
/// loopback only, as the <c>postgres</c> user when running as root. Durability: PostgreSQL defaults
/// (fsync=on, synchronous_commit=on) unless <see cref="SynchronousCommit"/> says otherwise.
/// </summary>
internal sealed class PgServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _bin;
    private readonly bool _asPostgres;
    private bool _running;

    private PgServer(string directory, string bin, bool asPostgres)
    {
        _directory = directory;
        _bin = bin;
        _asPostgres = asPostgres;
    }

    public string AdminConnectionString { get; private set; } = "";

    public string SynchronousCommit { get; private set; } = "on";

    /// <summary>The postmaster's pid (its children are the backends).</summary>
    public int PostmasterPid { get; private set; }

    public static async Task<PgServer> StartAsync(string work, string synchronousCommit, int maxConnections)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: Path.Combine(d, "bin"), V: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.V).Select(d => d.Dir).FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql).");
        }
        var asPostgres = Environment.UserName == "root";
        var directory = Path.Combine(work, "pg");
        Directory.CreateDirectory(directory);
        var server = new PgServer(directory, bin, asPostgres) { SynchronousCommit = synchronousCommit };
        if (asPostgres)
        {
            await server.RunAsync("chown", ["-R", "postgres", directory], asPostgresUser: false);
            await server.RunAsync("chmod", ["711", work], asPostgresUser: false);
        }
        var data = Path.Combine(directory, "data");
        await server.RunAsync(Path.Combine(bin, "initdb"),
            ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], asPostgres);
        var port = FreePort();
        var options = string.Join(' ',
            $"-p {port}", $"-k {directory}", "-c listen_addresses=127.0.0.1", $"-c max_connections={maxConnections}",
            $"-c synchronous_commit={synchronousCommit}");
        await server.RunAsync(Path.Combine(bin, "pg_ctl"),
            ["-D", data, "-o", options, "-l", Path.Combine(directory, "log"), "-w", "-t", "60", "start"], asPostgres);
        server._running = true;
        server.PostmasterPid = int.Parse(File.ReadLines(Path.Combine(data, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        server.AdminConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres", Timeout = 30,
        }.ConnectionString;
        return server;
    }

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;

    public async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_running)
        {
            _running = false;
            NpgsqlConnection.ClearAllPools();
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_directory, "data"), "-m", "fast", "-w", "-t", "60", "stop"], _asPostgres);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task RunAsync(string file, IReadOnlyList<string> arguments, bool asPostgresUser)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgresUser ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        if (asPostgresUser)
        {
            foreach (var argument in (string[])["-u", "postgres", "--", file])
            {
                start.ArgumentList.Add(argument);
            }
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            var log = Path.Combine(_directory, "log");
            throw new InvalidOperationException(new StringBuilder()
                .AppendLine($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}")
                .AppendLine(await stdout).AppendLine(await stderr)
                .AppendLine(File.Exists(log) ? await File.ReadAllTextAsync(log) : "").ToString());
        }
    }
}
