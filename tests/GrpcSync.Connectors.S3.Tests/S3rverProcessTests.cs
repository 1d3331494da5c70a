using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Connectors.S3.Tests;

/// <summary>
/// The test S3 server does not outlive the process that started it (S3rverProcess.NodeOptions preloads
/// exit-with-parent.cjs): a test host killed before its cleanup ran leaves no node process behind. A real s3rver, a real
/// shell standing for the test host, a real SIGKILL.
/// </summary>
public sealed class S3rverProcessTests
{
    [Fact]
    public async Task AServerWhoseStarterIsKilled_Exits()
    {
        var directory = Directory.CreateTempSubdirectory("grpcsync-s3rver-orphan-").FullName;
        var port = LoopbackPorts.OneFree();
        var lines = new ConcurrentQueue<string>();
        // The shell starts s3rver as S3rverProcess does, prints its pid and waits; killing the shell alone (not its tree)
        // is what a crashed or killed test host does to its children.
        await using var shell = ChildProcess.Start(new ChildProcessOptions
        {
            FileName = "/bin/sh",
            Arguments = ["-c", "\"$0\" -d \"$1\" -a 127.0.0.1 -p \"$2\" --no-vhost-buckets --silent & echo $!; wait",
                S3rverProcess.Launcher, directory, port.ToString(CultureInfo.InvariantCulture)],
            Environment = new Dictionary<string, string> { ["NODE_OPTIONS"] = S3rverProcess.NodeOptions },
            OnOutput = lines.Enqueue,
            OnError = lines.Enqueue,
        });
        var server = 0;
        try
        {
            server = await WaitForAsync(() => lines.TryPeek(out var line) && int.TryParse(line, out var pid) ? pid : 0);
            await WaitForAsync(() => Accepts(port) ? 1 : 0);

            Process.GetProcessById(shell.Id).Kill(entireProcessTree: false);

            // Both are polled: the group leader of an exiting node shows as a zombie while its other threads, which
            // share the listening socket, are still on their way out, so the port may accept a moment longer.
            await WaitForAsync(() => IsRunning(server) || Accepts(port) ? 0 : 1);
            Assert.False(IsRunning(server), $"s3rver (pid {server}) still runs after its starter was killed");
            Assert.False(Accepts(port), $"port {port} still accepts after s3rver (pid {server}) exited");
        }
        finally
        {
            if (server > 0 && IsRunning(server))
            {
                Process.GetProcessById(server).Kill();
            }
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it returns non-zero, for at most 30 s; returns its last value.</summary>
    private static async Task<int> WaitForAsync(Func<int> probe)
    {
        var waited = Stopwatch.StartNew();
        var value = probe();
        while (value == 0 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
            value = probe();
        }
        return value;
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Running, not a zombie waiting for a reaper (an exited child of init may stay listed until it is reaped).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
