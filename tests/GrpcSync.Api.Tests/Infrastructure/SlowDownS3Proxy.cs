using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// A loopback HTTP/1.1 proxy in front of a real S3 server (s3rver), on real sockets. It forwards each request as
/// sent (SigV4 signs the Host the client used, which is this proxy's, so the upstream accepts it) and relays the
/// answer, until a test sets <see cref="SlowDown"/>: then it answers every request itself with S3's
/// <c>503 SlowDown</c>, as a throttled account would. It remembers each request line and how it was answered.
/// </summary>
/// <remarks>
/// One request per connection: the proxy sets <c>Connection: close</c> (a hop-by-hop header, not signed) both ways,
/// so a flip of <see cref="SlowDown"/> applies to the very next request, never to a pooled pass-through
/// connection. Request bodies are read by Content-Length only (the s3 connector only reads: GET without a body).
/// </remarks>
public sealed class SlowDownS3Proxy : IAsyncDisposable
{
    private const string SlowDownBody =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>proxy</RequestId></Error>";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();
    private readonly Uri _upstream;
    private readonly Task _loop;
    private volatile bool _slowDown;

    public SlowDownS3Proxy(Uri upstream)
    {
        _upstream = upstream;
        _listener.Start();
        _loop = AcceptAsync();
    }

    /// <summary>The endpoint a credential names to go through the proxy, e.g. http://127.0.0.1:40123.</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>While true, every request is answered 503 SlowDown and none reaches the upstream.</summary>
    public bool SlowDown
    {
        get => _slowDown;
        set => _slowDown = value;
    }

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests];

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
            try
            {
                var stream = client.GetStream();
                var (head, bodyStart) = await ReadHeadAsync(stream, _stop.Token);
                if (head is null)
                {
                    return;
                }
                var lines = head.Split("\r\n");
                var slowDown = _slowDown; // one decision per request
                _requests.Enqueue(new ProxiedRequest(lines[0], slowDown));
                if (slowDown)
                {
                    var answer = "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nConnection: close\r\n" +
                        $"Content-Length: {Encoding.UTF8.GetByteCount(SlowDownBody)}\r\n\r\n{SlowDownBody}";
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(answer), _stop.Token);
                    return;
                }
                await ForwardAsync(stream, lines, bodyStart, _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // the client or the upstream went away, or we are stopping
            }
        }
    }

    /// <summary>Sends the request upstream (Connection: close) with its body, then relays the answer until the upstream closes.</summary>
    private async Task ForwardAsync(NetworkStream client, string[] lines, byte[] bodyStart, CancellationToken ct)
    {
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(_upstream.Host, _upstream.Port, ct);
        var upstreamStream = upstream.GetStream();
        var headers = lines.Skip(1).Where(l => l.Length > 0 && !IsHeader(l, "Connection") && !IsHeader(l, "Keep-Alive")).ToList();
        var forwardedHead = string.Join("\r\n", [lines[0], .. headers, "Connection: close", "", ""]);
        await upstreamStream.WriteAsync(Encoding.ASCII.GetBytes(forwardedHead), ct);

        var length = headers.Where(l => IsHeader(l, "Content-Length")).Select(l => long.Parse(l[(l.IndexOf(':') + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        await upstreamStream.WriteAsync(bodyStart, ct);
        var remaining = length - bodyStart.Length;
        var buffer = new byte[16 * 1024];
        while (remaining > 0)
        {
            var read = await client.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), ct);
            if (read == 0)
            {
                return;
            }
            await upstreamStream.WriteAsync(buffer.AsMemory(0, read), ct);
            remaining -= read;
        }
        await upstreamStream.CopyToAsync(client, ct); // s3rver closes after its answer: the client reads to the end
    }

    private static bool IsHeader(string line, string name) =>
        line.Length > name.Length && line[name.Length] == ':' && line.StartsWith(name, StringComparison.OrdinalIgnoreCase);

    /// <summary>The request head (up to the blank line, without it) and any body bytes read past it; null head at end of stream.</summary>
    private static async Task<(string? Head, byte[] BodyStart)> ReadHeadAsync(NetworkStream stream, CancellationToken ct)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, ct);
            if (read == 0)
            {
                return (null, []);
            }
            received.AddRange(buffer.AsSpan(0, read));
            var end = IndexOfBlankLine(received);
            if (end >= 0)
            {
                var head = Encoding.ASCII.GetString(received.GetRange(0, end).ToArray());
                return (head, received.GetRange(end + 4, received.Count - end - 4).ToArray());
            }
            if (received.Count > 64 * 1024)
            {
                throw new IOException("The request head is larger than 64 KiB.");
            }
        }
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>One request the proxy saw: its request line (method, target, version) and whether it answered SlowDown itself.</summary>
public sealed record ProxiedRequest(string RequestLine, bool AnsweredSlowDown);
