using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace GrpcSync.Testing.Processes;

/// <summary>How to start one server process.</summary>
public sealed record ServerProcessOptions
{
    /// <summary>The test's name for this server (e.g. replica "A"); shown in failure messages.</summary>
    public string Name { get; init; } = "server";

    /// <summary>
    /// The server's configuration (GrpcSync__*, Logging__* ...), on top of ASPNETCORE_ENVIRONMENT=Production.
    /// The listen address and ports are always chosen by <see cref="ServerProcess.StartAsync"/> and win.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long GET /healthz may take to answer 200 (a PostgreSQL-backed server migrates first).</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// GrpcSync.Server.dll running as a real, separate process (<c>dotnet GrpcSync.Server.dll</c>) on two free
/// loopback ports, configured only through environment variables, like a deployment would. Its stdout
/// and stderr are kept line by line, with the time each line was read.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private const int PortAttempts = 3;

    private readonly Process _process;
    private readonly List<(DateTimeOffset At, string Line)> _lines = [];
    private readonly Lock _linesLock = new();

    private ServerProcess(string name, Process process, int restPort, int grpcPort)
    {
        Name = name;
        _process = process;
        RestPort = restPort;
        GrpcPort = grpcPort;
    }

    /// <inheritdoc cref="ServerProcessOptions.Name"/>
    public string Name { get; }

    public int RestPort { get; }
    public int GrpcPort { get; }

    /// <summary>The HTTP/1.1 (JSON/REST) base address.</summary>
    public Uri RestBaseAddress => new($"http://127.0.0.1:{RestPort}/");

    /// <summary>The HTTP/2 cleartext (native gRPC) base address, without a trailing slash.</summary>
    public string GrpcBaseAddress => $"http://127.0.0.1:{GrpcPort}";

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Every line the server wrote to stdout and stderr so far (stderr lines prefixed "[stderr] ").</summary>
    public IReadOnlyList<string> Lines => [.. TimedLines.Select(l => l.Line)];

    /// <summary>The lines with the time this test process read each of them (to time events such as a takeover).</summary>
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
    /// Starts the server on free ports and waits until GET /healthz answers 200. Retries with other
    /// ports if the chosen ones were taken in the meantime (they are only probed, not held).
    /// </summary>
    public static async Task<ServerProcess> StartAsync(ServerProcessOptions options)
    {
        var serverAssembly = RepoPaths.ServerAssembly;
        for (var attempt = 1; ; attempt++)
        {
            var (restPort, grpcPort) = LoopbackPorts.TwoFree();
            var server = Launch(options, serverAssembly, restPort, grpcPort);
            var failure = await server.WaitUntilHealthyAsync(options.StartupTimeout);
            if (failure is null)
            {
                return server;
            }
            await server.DisposeAsync();
            var output = server.Output;
            if (attempt < PortAttempts && output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var settings = string.Join(Environment.NewLine, options.Environment.Select(s => $"  {s.Key}={s.Value}"));
            throw new InvalidOperationException($"""
                Server '{options.Name}' did not become healthy: {failure}
                $ {RepoPaths.DotnetHost} {serverAssembly}   (REST {restPort}, gRPC {grpcPort})
                {settings}
                --- '{options.Name}' stdout/stderr ---
                {output}
                """);
        }
    }

    /// <summary>
    /// Stops the server the way a process manager would (SIGTERM; a hard kill on Windows) and waits
    /// for it to exit. Returns the exit code; throws <see cref="TimeoutException"/> (after killing it)
    /// if it did not exit within <paramref name="timeout"/>.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            if (OperatingSystem.IsWindows())
            {
                _process.Kill(entireProcessTree: true);
            }
            else if (Kill(_process.Id, SigTerm) != 0)
            {
                // Process.Kill only sends SIGKILL; a graceful stop needs kill(2) itself.
                throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            throw new TimeoutException(
                $"Server '{Name}' did not stop within {timeout.TotalSeconds:0} s of SIGTERM; killed it.{Environment.NewLine}{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary>
    /// Kills the server's whole process tree at once, like <c>kill -9</c> (Process.Kill sends SIGKILL on
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

    /// <summary>Kills the server's whole process tree if it still runs.</summary>
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
            // Already gone, or never started; nothing left to clean up.
        }
        _process.Dispose();
    }

    private static ServerProcess Launch(ServerProcessOptions options, string serverAssembly, int restPort, int grpcPort)
    {
        var startInfo = new ProcessStartInfo(RepoPaths.DotnetHost)
        {
            // The server reads appsettings.json from its content root, i.e. its own output directory.
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
        foreach (var (key, value) in options.Environment)
        {
            startInfo.Environment[key] = value;
        }
        // Set last: the ports are the ones probed above, whatever the caller passed.
        startInfo.Environment["GrpcSync__ListenAddress"] = "127.0.0.1";
        startInfo.Environment["GrpcSync__RestPort"] = restPort.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["GrpcSync__GrpcPort"] = grpcPort.ToString(CultureInfo.InvariantCulture);

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var server = new ServerProcess(options.Name, process, restPort, grpcPort);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data is null ? null : "[stderr] " + e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {startInfo.FileName} {serverAssembly}.");
        }
        // Nothing to read: a closed stdin keeps the server from ever waiting on the console.
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Null once GET /healthz answered 200; otherwise why it did not.</summary>
    private async Task<string?> WaitUntilHealthyAsync(TimeSpan startupTimeout)
    {
        using var http = new HttpClient { BaseAddress = RestBaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        var last = "no answer yet";
        while (deadline.Elapsed < startupTimeout)
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
        return $"timed out after {startupTimeout.TotalSeconds:0} s; last attempt: {last}";
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

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
