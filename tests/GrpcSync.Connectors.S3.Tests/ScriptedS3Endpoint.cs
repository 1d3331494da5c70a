using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GrpcSync.Connectors.S3.Tests;

/// <summary>
/// A tiny HTTP/1.1 server on a loopback port that answers every request with one S3 error (status + XML body), as
/// a throttled or failing S3 would. Real sockets; the connector's SDK client talks HTTP to it.
/// </summary>
public sealed class ScriptedS3Endpoint : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int _status;
    private readonly string _code;
    private int _requests;

    public ScriptedS3Endpoint(int status, string code)
    {
        _status = status;
        _code = code;
        _listener.Start();
        _loop = AcceptAsync();
    }

    public Uri Endpoint => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            try
            {
                while (true)
                {
                    // Read the head; ListObjectsV2 and ListBuckets have no body.
                    string? line;
                    var any = false;
                    while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync(_stop.Token)))
                    {
                        any = true;
                    }
                    if (!any)
                    {
                        return;
                    }
                    Interlocked.Increment(ref _requests);
                    var body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{_code}</Code><Message>Scripted {_code}.</Message><RequestId>r1</RequestId></Error>";
                    var head = $"HTTP/1.1 {_status} Scripted\r\nContent-Type: application/xml\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n";
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(head + body), _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // the client went away, or we are stopping
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
