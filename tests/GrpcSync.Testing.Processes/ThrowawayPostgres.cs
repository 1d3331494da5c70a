using System.Globalization;

namespace GrpcSync.Testing.Processes;

/// <summary>How to start a <see cref="ThrowawayPostgres"/>.</summary>
public sealed record ThrowawayPostgresOptions
{
    /// <summary>
    /// The directory the server lives in (<c>data/</c>, <c>log</c>, its socket); created if missing. Null: a new
    /// directory under the temporary folder (/tmp as root), deleted on dispose.
    /// </summary>
    public string? Directory { get; init; }

    /// <summary>Server settings (<c>-c name=value</c>) on top of loopback-only listening, e.g. max_connections, fsync.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Appended to the message when the binaries or the postgres user are missing: what the caller accepts instead.</summary>
    public string? Alternative { get; init; }
}

/// <summary>
/// A throwaway PostgreSQL server: <c>initdb</c> and <c>pg_ctl</c> from the local server binaries
/// (<c>pg_config --bindir</c>, the newest <c>/usr/lib/postgresql/*/bin</c>, or PATH), trust authentication for
/// the superuser <c>postgres</c>, listening on a free 127.0.0.1 port only, run as the <c>postgres</c> user when
/// this process is root. Stopped (and its directory deleted, if it made it) on dispose. The one launcher for the
/// storage tests' fixture and both benches.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private const int PortAttempts = 3;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private readonly bool _ownsDirectory;
    private readonly string _alternative;
    private readonly Lock _stopLock = new();
    private bool _running;

    private ThrowawayPostgres(string bin, string directory, bool asPostgresUser, bool ownsDirectory, string alternative)
    {
        _alternative = alternative;
        _bin = bin;
        Directory = directory;
        _asPostgresUser = asPostgresUser;
        _ownsDirectory = ownsDirectory;
    }

    public const string Host = "127.0.0.1";
    public const string Superuser = "postgres";

    public int Port { get; private set; }

    /// <summary>The server's directory: <c>data/</c> (the cluster), <c>log</c> (the server log) and its socket.</summary>
    public string Directory { get; }

    public string DataDirectory => Path.Combine(Directory, "data");
    public string LogFile => Path.Combine(Directory, "log");

    /// <summary>The postmaster's pid; its children are the backends and the background workers.</summary>
    public int PostmasterPid { get; private set; }

    /// <summary>A connection string (Npgsql keywords) for <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database) =>
        string.Create(CultureInfo.InvariantCulture, $"Host={Host};Port={Port};Username={Superuser};Database={database};Timeout=30");

    /// <summary>
    /// initdb + pg_ctl start; throws <see cref="LaunchException"/> with what to install when the binaries are
    /// missing, or with the tool's output and the server log when a step fails.
    /// </summary>
    public static async Task<ThrowawayPostgres> StartAsync(ThrowawayPostgresOptions options)
    {
        var alternative = options.Alternative is { } hint ? " " + hint : "";
        var bin = await FindBinDirectoryAsync() ?? throw new LaunchException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found: install PostgreSQL server binaries " +
            $"(Debian: apt-get install postgresql){alternative}.");
        var asPostgres = await IsRootAsync();
        // As root the server runs as "postgres", which must reach the directory: /tmp always allows that.
        var directory = options.Directory
                        ?? Path.Combine(asPostgres ? "/tmp" : Path.GetTempPath(), "grpcsync-pg-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var server = new ThrowawayPostgres(bin, directory, asPostgres, ownsDirectory: options.Directory is null, alternative);
        try
        {
            await server.InitAndStartAsync(options.Settings);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the server (fast shutdown: open sessions are ended), synchronously, so exit handlers can call it.</summary>
    public void Stop() => StopWith("fast");

    /// <summary>Best-effort immediate stop for exit and Ctrl+C handlers; never throws.</summary>
    public void StopNow()
    {
        try
        {
            StopWith("immediate");
        }
        catch (LaunchException)
        {
            // best effort: the caller is on its way out
        }
    }

    /// <summary>Stops the server and deletes its directory if this launcher made it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.Run(Stop);
        }
        finally
        {
            if (_ownsDirectory)
            {
                try
                {
                    System.IO.Directory.Delete(Directory, recursive: true);
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    // a leftover scratch directory in /tmp is harmless
                }
            }
        }
    }

    private async Task InitAndStartAsync(IReadOnlyDictionary<string, string> settings)
    {
        if (_asPostgresUser)
        {
            await MustAsync("id", ["-u", Superuser], asPostgres: false,
                "running as root, PostgreSQL must run as the 'postgres' user, which does not exist " +
                $"(Debian: apt-get install postgresql creates it){_alternative}");
            await MustAsync("chown", ["-R", Superuser, Directory], asPostgres: false, "chown of the server directory failed");
            MakeParentTraversable();
        }
        await MustAsync(Path.Combine(_bin, "initdb"),
            ["-D", DataDirectory, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"],
            _asPostgresUser, "initdb failed");

        // The port is free when we look; another process may take it before the server binds: retry.
        for (var attempt = 1; ; attempt++)
        {
            var port = LoopbackPorts.OneFree();
            var options = string.Join(' ',
                [$"-p {port}", $"-k {Directory}", $"-c listen_addresses={Host}", .. settings.Select(s => $"-c {s.Key}={s.Value}")]);
            try
            {
                await MustAsync(Path.Combine(_bin, "pg_ctl"),
                    ["-D", DataDirectory, "-o", options, "-l", LogFile, "-w", "-t", "60", "start"],
                    _asPostgresUser, "pg_ctl start failed");
                lock (_stopLock)
                {
                    _running = true;
                }
                Port = port;
                PostmasterPid = int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
                return;
            }
            catch (LaunchException) when (attempt < PortAttempts)
            {
            }
        }
    }

    private void StopWith(string mode)
    {
        lock (_stopLock)
        {
            if (!_running)
            {
                return;
            }
            _running = false;
            MustAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", mode, "-w", "-t", "60", "stop"],
                _asPostgresUser, "pg_ctl stop failed").GetAwaiter().GetResult();
        }
    }

    /// <summary>The postgres user must traverse the parent of a caller-given directory (a 0700 scratch folder).</summary>
    private void MakeParentTraversable()
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(Directory));
        if (parent is not null && !OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(parent);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                File.SetUnixFileMode(parent, mode | UnixFileMode.OtherExecute);
            }
        }
    }

    private static async Task<string?> FindBinDirectoryAsync()
    {
        static bool HasServer(string? dir) =>
            !string.IsNullOrEmpty(dir) && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        var fromPgConfig = await ExternalCommand.TryReadAsync("pg_config", "--bindir");
        if (HasServer(fromPgConfig))
        {
            return fromPgConfig;
        }
        const string debianRoot = "/usr/lib/postgresql";
        if (System.IO.Directory.Exists(debianRoot))
        {
            var newest = System.IO.Directory.GetDirectories(debianRoot)
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

    private static async Task<bool> IsRootAsync() =>
        !OperatingSystem.IsWindows() && (Environment.UserName == "root" || await ExternalCommand.TryReadAsync("id", "-u") == "0");

    /// <summary>Runs a tool (via <c>runuser -u postgres --</c> when asked); throws with its output and the server log on failure.</summary>
    private async Task MustAsync(string fileName, IReadOnlyList<string> arguments, bool asPostgres, string failure)
    {
        var result = asPostgres
            ? await ExternalCommand.RunAsync(Runuser(), ["-u", Superuser, "--", fileName, .. arguments], CommandTimeout, Directory)
            : await ExternalCommand.RunAsync(fileName, arguments, CommandTimeout, Directory);
        if (result.ExitCode != 0)
        {
            var log = File.Exists(LogFile) ? $"\nServer log:\n{await File.ReadAllTextAsync(LogFile)}" : "";
            throw new LaunchException($"{failure}: {fileName} {string.Join(' ', arguments)} exited with {result.ExitCode}.\n{result.Both}{log}");
        }
    }

    private static string Runuser() =>
        File.Exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : File.Exists("/sbin/runuser") ? "/sbin/runuser" : "runuser";
}
