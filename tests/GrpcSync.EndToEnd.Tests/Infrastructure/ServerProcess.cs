using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>
/// GrpcSync.Server.dll running as a real, separate process (`dotnet GrpcSync.Server.dll`) on two free
/// loopback ports, configured only through environment variables, like a deployment would.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    private const int PortAttempts = 3;

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly object _outputLock = new();

    private ServerProcess(Process process, int restPort, int grpcPort, string dataDirectory)
    {
        _process = process;
        RestPort = restPort;
        GrpcPort = grpcPort;
        DataDirectory = dataDirectory;
    }

    public int RestPort { get; }
    public int GrpcPort { get; }
    public string DataDirectory { get; }

    /// <summary>The HTTP/1.1 (JSON/REST) base address.</summary>
    public Uri RestBaseAddress => new($"http://127.0.0.1:{RestPort}/");

    /// <summary>The HTTP/2 cleartext (native gRPC) base address, without a trailing slash.</summary>
    public string GrpcBaseAddress => $"http://127.0.0.1:{GrpcPort}";

    public int ProcessId => _process.Id;

    /// <summary>Everything the server wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the server on free ports with <paramref name="dataDirectory"/>, the project key in
    /// <paramref name="publicKeyFile"/> and the filesystem connector allowed to read below
    /// <paramref name="filesRoot"/>, and waits until GET /healthz answers 200. Retries with other
    /// ports if the chosen ones were taken in the meantime.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, string publicKeyFile, string filesRoot)
    {
        var serverAssembly = RepoPaths.ServerAssembly;
        for (var attempt = 1; ; attempt++)
        {
            var (restPort, grpcPort) = FreePorts();
            var server = Launch(serverAssembly, dataDirectory, publicKeyFile, filesRoot, restPort, grpcPort);
            var failure = await server.WaitUntilHealthyAsync();
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
            Assert.Fail($"""
                The server did not become healthy: {failure}
                $ {RepoPaths.DotnetHost} {serverAssembly}   (REST {restPort}, gRPC {grpcPort}, data {dataDirectory})
                --- server stdout/stderr ---
                {output}
                """);
        }
    }

    /// <summary>
    /// Stops the server the way a process manager would (SIGTERM; a hard kill on Windows) and waits
    /// for it to exit. Returns the exit code.
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
                Assert.Fail($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
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
            Assert.Fail($"The server did not stop within {timeout.TotalSeconds:0} s of SIGTERM; killed it.{Environment.NewLine}{Output}");
        }
        return _process.ExitCode;
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

    private static ServerProcess Launch(string serverAssembly, string dataDirectory, string publicKeyFile, string filesRoot,
        int restPort, int grpcPort)
    {
        var startInfo = new ProcessStartInfo(RepoPaths.DotnetHost)
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
        foreach (var name in startInfo.Environment.Keys.ToList())
        {
            if (name.StartsWith("GrpcSync__", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("GrpcSync:", StringComparison.OrdinalIgnoreCase)
                || name is "ASPNETCORE_URLS" or "DOTNET_URLS" or "ASPNETCORE_HTTP_PORTS" or "ASPNETCORE_HTTPS_PORTS"
                    or "HTTP_PORTS" or "HTTPS_PORTS" or "DOTNET_ENVIRONMENT" or "ASPNETCORE_HOSTINGSTARTUPASSEMBLIES")
            {
                startInfo.Environment.Remove(name);
            }
        }
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        startInfo.Environment["GrpcSync__ListenAddress"] = "127.0.0.1";
        startInfo.Environment["GrpcSync__RestPort"] = restPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        startInfo.Environment["GrpcSync__GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        startInfo.Environment["GrpcSync__DataDirectory"] = dataDirectory;
        startInfo.Environment["GrpcSync__Auth__AudienceHosts__0"] = TestSigningKey.AudienceHost;
        startInfo.Environment[$"GrpcSync__Auth__Projects__{TestSigningKey.ProjectId}__PublicKeyFile"] = publicKeyFile;
        // The engine runs with its defaults; the built-in filesystem connector may read below filesRoot only.
        startInfo.Environment["GrpcSync__Connectors__Filesystem__AllowedRoots__0"] = filesRoot;

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var server = new ServerProcess(process, restPort, grpcPort, dataDirectory);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data is null ? null : "[stderr] " + e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {startInfo.FileName} {serverAssembly}.");
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
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
        lock (_outputLock)
        {
            _output.AppendLine(line);
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

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
