using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Xunit;

namespace GrpcSync.Testing.Postgres;

/// <summary>
/// A PostgreSQL server for tests, shared by a test collection; tests never skip for want of one.
/// If <c>GRPCSYNC_TEST_POSTGRES</c> holds a connection string (of a role that may CREATE DATABASE),
/// that server is used. Otherwise a throwaway server is started from the local PostgreSQL binaries
/// (<c>pg_config --bindir</c>, <c>/usr/lib/postgresql/*/bin</c> or PATH) in a temporary directory on a
/// free port, as the <c>postgres</c> user when running as root; it is stopped and the directory
/// deleted on dispose. Each test gets its own database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
/// <remarks>
/// Depends only on Npgsql and xunit, so other test projects can link this file. Declare a collection
/// in the test project: <c>[CollectionDefinition("Postgres")] public sealed class PostgresCollection :
/// ICollectionFixture&lt;PostgresServerFixture&gt;;</c>
/// </remarks>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "GRPCSYNC_TEST_POSTGRES";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    private readonly object _stopLock = new();
    private string? _directory;
    private string? _binDirectory;
    private bool _asPostgresUser;
    private bool _started;
    private NpgsqlDataSource? _admin;

    /// <summary>Connection string of the maintenance database ("postgres") as a superuser (or the given role).</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>True when the server was started by this fixture (not taken from the environment).</summary>
    public bool IsThrowaway => _started;

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            AdminConnectionString = external;
        }
        else
        {
            await StartServerAsync();
        }
        _admin = NpgsqlDataSource.Create(AdminConnectionString);
        await using var connection = await _admin.OpenConnectionAsync();
    }

    /// <summary>Creates an empty database with a random name; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken ct = default)
    {
        var name = "grpcsync_test_" + Guid.NewGuid().ToString("N");
        await using (var command = Admin.CreateCommand($"CREATE DATABASE \"{name}\""))
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing any connection still open to it.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database
                   ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        await using var command = Admin.CreateCommand($"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"")}\" WITH (FORCE)");
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
        await Task.Run(StopServer);
    }

    private NpgsqlDataSource Admin => _admin ?? throw new InvalidOperationException("The fixture is not initialised.");

    private async Task StartServerAsync()
    {
        _binDirectory = FindBinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found: install PostgreSQL server binaries " +
            $"(Debian: apt-get install postgresql) or set {EnvironmentVariable} to a connection string of a server " +
            "where the user may CREATE DATABASE.");
        _asPostgresUser = await IsRootAsync();
        // As root the server runs as "postgres", which must reach the directory: /tmp always allows that.
        var parent = _asPostgresUser ? "/tmp" : Path.GetTempPath();
        _directory = Path.Combine(parent, "grpcsync-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
        var data = Path.Combine(_directory, "data");
        var log = Path.Combine(_directory, "log");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopServer();

        if (_asPostgresUser)
        {
            await RunAsync("id", ["-u", "postgres"], asPostgres: false,
                "running as root, PostgreSQL must run as the 'postgres' user, which does not exist " +
                $"(Debian: apt-get install postgresql creates it) — or set {EnvironmentVariable}");
            await RunAsync("chown", ["-R", "postgres", _directory], asPostgres: false, "chown of the server directory failed");
        }
        await RunAsync(Path.Combine(_binDirectory, "initdb"),
            ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"],
            asPostgres: _asPostgresUser, "initdb failed");

        // The port is free when we look; another process may take it before the server binds: retry.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeTcpPort();
            var options = $"-p {port} -k {_directory} -c listen_addresses=127.0.0.1 -c max_connections=300 " +
                          "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            try
            {
                await RunAsync(Path.Combine(_binDirectory, "pg_ctl"),
                    ["-D", data, "-o", options, "-l", log, "-w", "-t", "60", "start"],
                    asPostgres: _asPostgresUser, "pg_ctl start failed");
                _started = true;
                AdminConnectionString = new NpgsqlConnectionStringBuilder
                {
                    Host = "127.0.0.1",
                    Port = port,
                    Username = "postgres",
                    Database = "postgres",
                    Timeout = 30,
                    MaxPoolSize = 200,
                }.ConnectionString;
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
            }
        }
    }

    private void StopServer()
    {
        lock (_stopLock)
        {
            if (_directory is null)
            {
                return;
            }
            try
            {
                if (_started && _binDirectory is not null)
                {
                    _started = false;
                    RunAsync(Path.Combine(_binDirectory, "pg_ctl"),
                            ["-D", Path.Combine(_directory, "data"), "-m", "fast", "-w", "-t", "60", "stop"],
                            asPostgres: _asPostgresUser, "pg_ctl stop failed")
                        .GetAwaiter().GetResult();
                }
            }
            finally
            {
                try
                {
                    Directory.Delete(_directory, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
                _directory = null;
            }
        }
    }

    private static string? FindBinDirectory()
    {
        static bool HasServer(string? dir) =>
            !string.IsNullOrEmpty(dir) && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        var fromPgConfig = TryRead("pg_config", "--bindir");
        if (HasServer(fromPgConfig))
        {
            return fromPgConfig;
        }
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => HasServer(d.Dir))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(HasServer);
    }

    private static string? TryRead(string fileName, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // not installed
        }
    }

    private static async Task<bool> IsRootAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }
        if (Environment.UserName == "root")
        {
            return true;
        }
        return await Task.Run(() => TryRead("id", "-u")) == "0";
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a program (via <c>runuser -u postgres --</c> when asked); throws with its output on failure.</summary>
    private async Task RunAsync(string fileName, IReadOnlyList<string> arguments, bool asPostgres, string failure)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory ?? Path.GetTempPath(),
        };
        if (asPostgres)
        {
            start.FileName = File.Exists("/usr/sbin/runuser") ? "/usr/sbin/runuser"
                : File.Exists("/sbin/runuser") ? "/sbin/runuser" : "runuser";
            foreach (var argument in (string[])["-u", "postgres", "--", fileName])
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = fileName;
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{failure}: could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{failure}: {fileName} did not finish within {CommandTimeout}.");
        }
        if (process.ExitCode != 0)
        {
            var message = new StringBuilder()
                .AppendLine($"{failure}: {fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}.")
                .AppendLine(await stdout)
                .AppendLine(await stderr);
            var log = _directory is null ? null : Path.Combine(_directory, "log");
            if (log is not null && File.Exists(log))
            {
                message.AppendLine("Server log:").AppendLine(await File.ReadAllTextAsync(log));
            }
            throw new InvalidOperationException(message.ToString());
        }
    }
}
