using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GrpcSync.Replicas.Tests.Infrastructure;

/// <summary>
/// One replica: GrpcSync.Server.dll running as a separate <c>dotnet</c> process on two free loopback
/// ports, configured only through environment variables. Its stdout and stderr are kept line by line.
/// </summary>
public sealed class ReplicaProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    private const int PortAttempts = 3;

    private readonly Process _process;
    private readonly List<(DateTimeOffset At, string Line)> _lines = [];
    private readonly Lock _linesLock = new();

    private ReplicaProcess(string name, Process process, int restPort, int grpcPort)
    {
        Name = name;
        _process = process;
        RestPort = restPort;
        GrpcPort = grpcPort;
    }

    /// <summary>The test's name for this replica ("A", "B").</summary>
    public string Name { get; }

    public int RestPort { get; }
    public int GrpcPort { get; }

    /// <summary>The HTTP/1.1 (JSON/REST) base address.</summary>
    public Uri RestBaseAddress => new($"http://127.0.0.1:{RestPort}/");

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Every line the replica wrote to stdout and stderr so far (stderr lines prefixed).</summary>
    public IReadOnlyList<string> Lines => [.. TimedLines.Select(l => l.Line)];

    /// <summary>The lines with the time this test process read each of them.</summary>
    public IReadOnlyList<(DateTimeOffset At, string Line)> TimedLines
    {
        get
        {
            lock (_linesLock)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>All output so far, for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, Lines);

    /// <summary>
    /// Starts a replica with <paramref name="environment"/> (GrpcSync__* settings other than the ports)
    /// on free ports and waits until GET /healthz answers 200; retries with other ports if the chosen
    /// ones were taken in the meantime.
    /// </summary>
    public static async Task<ReplicaProcess> StartAsync(string name, IReadOnlyDictionary<string, string> environment)
    {
        var serverAssembly = ServerPaths.ServerAssembly;
        for (var attempt = 1; ; attempt++)
        {
            var (restPort, grpcPort) = FreePorts();
            var replica = Launch(name, serverAssembly, environment, restPort, grpcPort);
            var failure = await replica.WaitUntilHealthyAsync();
            if (failure is null)
            {
                return replica;
            }
            await replica.DisposeAsync();
            var output = replica.Output;
            if (attempt < PortAttempts && output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            Assert.Fail($"""
                Replica {name} did not become healthy: {failure}
                $ {ServerPaths.DotnetHost} {serverAssembly}   (REST {restPort}, gRPC {grpcPort})
                --- replica {name} stdout/stderr ---
                {output}
                """);
        }
    }

    /// <summary>
    /// Kills the replica's whole process tree at once, like <c>kill -9</c> (Process.Kill sends SIGKILL on
    /// Linux): no shutdown code runs, nothing is released. Waits until the process is gone.
    /// </summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    /// <summary>Kills the replica if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (Exception error) when (error is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or never started.
        }
        _process.Dispose();
    }

    private static ReplicaProcess Launch(string name, string serverAssembly, IReadOnlyDictionary<string, string> environment,
        int restPort, int grpcPort)
    {
        var startInfo = new ProcessStartInfo(ServerPaths.DotnetHost)
        {
            WorkingDirectory = Path.GetDirectoryName(serverAssembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        startInfo.ArgumentList.Add(serverAssembly);

        // Only this test's configuration: drop anything the test runner's environment could inject.
        foreach (var key in startInfo.Environment.Keys.ToList())
        {
            if (key.StartsWith("GrpcSync__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("GrpcSync:", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
                || key is "ASPNETCORE_URLS" or "DOTNET_URLS" or "ASPNETCORE_HTTP_PORTS" or "ASPNETCORE_HTTPS_PORTS"
                    or "HTTP_PORTS" or "HTTPS_PORTS" or "DOTNET_ENVIRONMENT" or "ASPNETCORE_HOSTINGSTARTUPASSEMBLIES")
            {
                startInfo.Environment.Remove(key);
            }
        }
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }
        startInfo.Environment["GrpcSync__ListenAddress"] = "127.0.0.1";
        startInfo.Environment["GrpcSync__RestPort"] = restPort.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["GrpcSync__GrpcPort"] = grpcPort.ToString(CultureInfo.InvariantCulture);

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var replica = new ReplicaProcess(name, process, restPort, grpcPort);
        process.OutputDataReceived += (_, e) => replica.Append(e.Data);
        process.ErrorDataReceived += (_, e) => replica.Append(e.Data is null ? null : "[stderr] " + e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {startInfo.FileName} {serverAssembly}.");
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return replica;
    }

    /// <summary>Null once GET /healthz answered 200; otherwise why it did not.</summary>
    private async Task<string?> WaitUntilHealthyAsync()
    {
        using var http = new HttpClient { BaseAddress = RestBaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        var last = "no answer yet";
        while (deadline.Elapsed < StartupTimeout)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(); // drains the output
                return $"the process exited with code {_process.ExitCode} before GET /healthz answered 200";
            }
            try
            {
                using var response = await http.GetAsync("healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return null;
                }
                last = $"GET /healthz answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                last = $"GET /healthz failed: {error.Message}";
            }
            await Task.Delay(100);
        }
        return $"timed out after {StartupTimeout.TotalSeconds:0} s; last attempt: {last}";
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_linesLock)
        {
            _lines.Add((DateTimeOffset.UtcNow, line));
        }
    }

    /// <summary>Two distinct ports that were free a moment ago.</summary>
    private static (int RestPort, int GrpcPort) FreePorts()
    {
        var first = new TcpListener(IPAddress.Loopback, 0);
        var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        try
        {
            return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
        }
        finally
        {
            first.Stop();
            second.Stop();
        }
    }
}
