using System.Globalization;

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

    private readonly List<(DateTimeOffset At, string Line)> _lines = [];
    private readonly Lock _linesLock = new();
    private ChildProcess? _child;

    private ServerProcess(string name, int restPort, int grpcPort)
    {
        Name = name;
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

    public int ProcessId => Child.Id;

    public bool HasExited => Child.HasExited;

    /// <summary>True once <see cref="KillAsync"/> or <see cref="StopAsync"/> ended it: an exit the test asked for.</summary>
    public bool StoppedByTest { get; private set; }

    /// <summary>The exit code, once it has exited.</summary>
    public int ExitCode => Child.ExitCode;

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

    private ChildProcess Child => _child ?? throw new InvalidOperationException($"Server '{Name}' was not started.");

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
            var failure = await server.Child.WaitUntilHealthyAsync(new Uri(server.RestBaseAddress, "healthz"), options.StartupTimeout);
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
        StoppedByTest = true;
        if (!await Child.TerminateAsync(timeout))
        {
            throw new TimeoutException(
                $"Server '{Name}' did not stop within {timeout.TotalSeconds:0} s of SIGTERM; killed it.{Environment.NewLine}{Output}");
        }
        return Child.ExitCode;
    }

    /// <summary>
    /// Kills the server's whole process tree at once, like <c>kill -9</c> (Process.Kill sends SIGKILL on
    /// Linux): no shutdown code runs, nothing is released. Waits until the process is gone.
    /// </summary>
    public async Task KillAsync()
    {
        StoppedByTest = true;
        Child.Kill();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Child.WaitForExitAsync(cts.Token);
    }

    /// <summary>Kills the server's whole process tree if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_child is not null)
        {
            await _child.DisposeAsync();
        }
    }

    private static ServerProcess Launch(ServerProcessOptions options, string serverAssembly, int restPort, int grpcPort)
    {
        var environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" };
        foreach (var (key, value) in options.Environment)
        {
            environment[key] = value;
        }
        // Set last: the ports are the ones probed above, whatever the caller passed.
        environment["GrpcSync__ListenAddress"] = "127.0.0.1";
        environment["GrpcSync__RestPort"] = restPort.ToString(CultureInfo.InvariantCulture);
        environment["GrpcSync__GrpcPort"] = grpcPort.ToString(CultureInfo.InvariantCulture);

        var server = new ServerProcess(options.Name, restPort, grpcPort);
        server._child = ChildProcess.Start(new ChildProcessOptions
        {
            FileName = RepoPaths.DotnetHost,
            Arguments = [serverAssembly],
            // The server reads appsettings.json from its content root, i.e. its own output directory.
            WorkingDirectory = Path.GetDirectoryName(serverAssembly)!,
            // Only this test's configuration: drop anything the test runner's environment could inject.
            DropInherited = key => key.StartsWith("GrpcSync__", StringComparison.OrdinalIgnoreCase)
                                   || key.StartsWith("GrpcSync:", StringComparison.OrdinalIgnoreCase)
                                   || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
                                   || key is "ASPNETCORE_URLS" or "DOTNET_URLS" or "ASPNETCORE_HTTP_PORTS" or "ASPNETCORE_HTTPS_PORTS"
                                       or "HTTP_PORTS" or "HTTPS_PORTS" or "DOTNET_ENVIRONMENT" or "ASPNETCORE_HOSTINGSTARTUPASSEMBLIES",
            Environment = environment,
            OnOutput = server.Append,
            OnError = line => server.Append("[stderr] " + line),
        });
        return server;
    }

    private void Append(string line)
    {
        lock (_linesLock)
        {
            _lines.Add((DateTimeOffset.UtcNow, line));
        }
    }
}
