using System.Net.Sockets;
using System.Text;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>An HTTP answer as the storm sees it: status, Content-Type and body bytes.</summary>
public sealed record FuzzHttpResponse(int Status, string? ContentType, byte[] Body);

/// <summary>
/// Sends hand-written HTTP/1.1 bytes over a TcpClient and reads one response (Content-Length, chunked, or
/// up to the close). For requests HttpClient refuses to produce: broken framing, bytes outside ASCII,
/// malformed request lines and headers.
/// </summary>
public static class RawHttp1Client
{
    public static async Task<(FuzzHttpResponse? Response, string? Error)> SendAsync(int port, byte[] request, bool halfClose, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var client = new TcpClient { NoDelay = true };
        var received = new MemoryStream();
        try
        {
            await client.ConnectAsync("127.0.0.1", port, cancel.Token);
            var stream = client.GetStream();
            try
            {
                await stream.WriteAsync(request, cancel.Token);
                if (halfClose)
                {
                    client.Client.Shutdown(SocketShutdown.Send);
                }
            }
            catch (IOException)
            {
                // The server may answer and close before reading everything (e.g. a 431): read what it said.
            }
            var buffer = new byte[64 * 1024];
            while (true)
            {
                int read;
                try
                {
                    read = await stream.ReadAsync(buffer, cancel.Token);
                }
                catch (IOException) when (received.Length > 0)
                {
                    break;
                }
                if (read == 0)
                {
                    break;
                }
                received.Write(buffer, 0, read);
                if (TryParse(received.ToArray(), complete: false) is not null)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            if (received.Length == 0)
            {
                return (null, $"no answer within {timeout.TotalSeconds:0} s");
            }
        }
        catch (Exception error) when (error is IOException or SocketException)
        {
            if (received.Length == 0)
            {
                return (null, $"connection failed without an answer: {error.GetType().Name}: {error.Message}");
            }
        }
        var bytes = received.ToArray();
        if (bytes.Length == 0)
        {
            return (null, "the server closed the connection without an answer");
        }
        var parsed = TryParse(bytes, complete: true);
        return parsed is null ? (null, "unparsable answer: " + JunkValues.Preview(bytes, 300)) : (parsed, null);
    }

    /// <summary>The response once it is complete (or, when the connection has ended, whatever body arrived).</summary>
    private static FuzzHttpResponse? TryParse(byte[] bytes, bool complete)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }
        var lines = text[..end].Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        if (statusParts.Length < 2 || !int.TryParse(statusParts[1], out var status))
        {
            return null;
        }
        string? contentType = null;
        long? contentLength = null;
        var chunked = false;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, out var length))
            {
                contentLength = length;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                chunked = true;
            }
        }
        var body = bytes.AsSpan(end + 4);
        if (chunked)
        {
            var decoded = Dechunk(body, out var finished);
            return finished || complete ? new FuzzHttpResponse(status, contentType, decoded) : null;
        }
        if (contentLength is { } expected)
        {
            return body.Length >= expected ? new FuzzHttpResponse(status, contentType, body[..(int)expected].ToArray())
                : complete ? new FuzzHttpResponse(status, contentType, body.ToArray()) : null;
        }
        return complete ? new FuzzHttpResponse(status, contentType, body.ToArray()) : null;
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> body, out bool finished)
    {
        var output = new MemoryStream();
        finished = false;
        var position = 0;
        while (position < body.Length)
        {
            var lineEnd = body[position..].IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }
            var sizeText = Encoding.ASCII.GetString(body.Slice(position, lineEnd)).Split(';')[0].Trim();
            if (!int.TryParse(sizeText, System.Globalization.NumberStyles.HexNumber, null, out var size))
            {
                break;
            }
            position += lineEnd + 2;
            if (size == 0)
            {
                finished = true;
                break;
            }
            if (position + size > body.Length)
            {
                output.Write(body[position..]);
                break;
            }
            output.Write(body.Slice(position, size));
            position += size + 2;
        }
        return output.ToArray();
    }
}
