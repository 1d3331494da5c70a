using System.Net;
using System.Net.Sockets;
using System.Text;
using GrpcSync.Testing.Processes;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>
/// A server under test counts as started only when it answers its health check itself: two servers started side by
/// side can be handed one port, and the one that loses the bind must not be taken for the one that won it.
/// </summary>
public sealed class HealthCheckOwnershipTests
{
    [Fact]
    public void A_port_this_process_listens_on_is_seen_as_its_own_and_a_closed_one_is_not()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.True(PortListeners.IsListenedBy(Environment.ProcessId, port));
        listener.Stop();
        Assert.False(PortListeners.IsListenedBy(Environment.ProcessId, port));
    }

    [Fact]
    public async Task A_child_whose_health_url_is_answered_by_another_process_is_not_healthy()
    {
        // This test process answers 200 on the port; the child (a sleep) never listens on it.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var answering = AnswerOkAsync(listener, stop.Token);
        await using var child = ChildProcess.Start(new ChildProcessOptions { FileName = "sleep", Arguments = ["30"] });

        var failure = await child.WaitUntilHealthyAsync(new Uri($"http://127.0.0.1:{port}/healthz"), TimeSpan.FromSeconds(2));

        Assert.NotNull(failure);
        Assert.Contains("answered by another process", failure, StringComparison.Ordinal);
        await stop.CancelAsync();
        listener.Stop();
        await answering;
    }

    private static async Task AnswerOkAsync(TcpListener listener, CancellationToken ct)
    {
        var ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(ct);
                var stream = client.GetStream();
                var buffer = new byte[4096];
                _ = await stream.ReadAsync(buffer, ct); // the request line and headers fit one read; their content does not matter
                await stream.WriteAsync(ok, ct);
            }
        }
        catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // stopped
        }
    }
}
