using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace GrpcSync.Testing.Processes;

/// <summary>
/// A real S3 server for tests: the npm package <c>s3rver</c> (node_modules/.bin/s3rver, installed by <c>npm ci</c>),
/// on a free loopback port with a fresh data directory, keys <see cref="AccessKeyId"/>/<see cref="SecretAccessKey"/>.
/// One per test process (<see cref="Shared"/>), started on first use; tests isolate themselves with their own buckets.
/// </summary>
public sealed class S3rverProcess : IAsyncDisposable
{
    /// <summary>s3rver's built-in access key id (and secret key: both are "S3RVER").</summary>
    public const string AccessKeyId = "S3RVER";
    public const string SecretAccessKey = "S3RVER";

    private static readonly Lazy<Task<S3rverProcess>> SharedInstance = new(() => StartAsync());
    private readonly ChildProcess _process;
    private readonly string _directory;

    private S3rverProcess(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The path-style endpoint, e.g. http://127.0.0.1:40123.</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    /// <summary>The process-wide server (stopped when the test process exits).</summary>
    public static Task<S3rverProcess> Shared => SharedInstance.Value;

    /// <summary>
    /// The node options s3rver runs with: its continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider;
    /// and exit-with-parent.cjs (beside this assembly), which ends the server when the process that started it is gone,
    /// so a test host killed before <see cref="AppDomain.ProcessExit"/> leaves no server behind.
    /// </summary>
    public static string NodeOptions =>
        $"--openssl-legacy-provider --require \"{Path.Combine(AppContext.BaseDirectory, "exit-with-parent.cjs")}\"";

    /// <summary>The s3rver launcher that <c>npm ci</c> installs at the repo root.</summary>
    public static string Launcher =>
        Path.Combine(RepoPaths.RepoRoot, "node_modules", ".bin", OperatingSystem.IsWindows() ? "s3rver.cmd" : "s3rver");

    /// <summary>Starts s3rver and waits until it accepts connections. Fails, never skips, when it is not installed.</summary>
    public static async Task<S3rverProcess> StartAsync()
    {
        var bin = Launcher;
        if (!File.Exists(bin))
        {
            throw new LaunchException($"s3rver was not found at {bin}: run `npm ci` at the repo root ({RepoPaths.RepoRoot}).");
        }
        var directory = Directory.CreateTempSubdirectory("grpcsync-s3rver-").FullName;
        // A free port can be taken by another process (parallel test projects) before s3rver binds it; then the port
        // answers, but not as S3. So "ready" means an S3 answer from our own, still running, s3rver; else a new port.
        for (var attempt = 1; ; attempt++)
        {
            var output = new ConcurrentQueue<string>();
            var port = LoopbackPorts.OneFree();
            var process = ChildProcess.Start(new ChildProcessOptions
            {
                FileName = bin,
                Arguments = ["-d", directory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-vhost-buckets", "--silent"],
                Environment = new Dictionary<string, string> { ["NODE_OPTIONS"] = NodeOptions },
                OnOutput = output.Enqueue,
                OnError = output.Enqueue,
            });
            if (await AnswersAsS3Async(process, port))
            {
                var server = new S3rverProcess(process, directory, port);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => process.Kill();
                return server;
            }
            var exited = process.HasExited;
            await process.DisposeAsync();
            if (attempt == 5)
            {
                throw new LaunchException(exited
                    ? $"s3rver exited with code {process.ExitCode}: {string.Join(Environment.NewLine, output)}"
                    : $"s3rver did not answer as S3 on a free port in 5 tries: {string.Join(Environment.NewLine, output)}");
            }
        }
    }

    /// <summary>Waits (at most 60 s) until <paramref name="port"/> answers with S3's XML while the process still runs.</summary>
    private static async Task<bool> AnswersAsS3Async(ChildProcess process, int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                return false;
            }
            try
            {
                var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"));
                return body.Contains("ListAllMyBucketsResult", StringComparison.Ordinal) && !process.HasExited;
            }
            catch (HttpRequestException e) when (e.StatusCode is null)
            {
                await Task.Delay(100); // nothing listening yet
            }
            catch (HttpRequestException)
            {
                return false; // something answers, but not s3rver's listing
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }
        return false;
    }


    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory does not affect other tests.
        }
    }
}
