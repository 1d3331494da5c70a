using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>One HTTP/2 frame as read from or written to the wire.</summary>
public sealed record Http2Frame(byte Type, byte Flags, int StreamId, byte[] Payload)
{
    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7, WindowUpdate = 0x8, Continuation = 0x9;
    public const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4;

    /// <summary>The payload of a PING a case sends last when the stream may stay silent: its ACK ends the wait.</summary>
    public static readonly byte[] EndMarker = "fuzz-end"u8.ToArray();
}

/// <summary>What one stream got back: its header blocks (response headers, trailers), data, and any reset or GOAWAY.</summary>
public sealed class Http2Answer
{
    public List<List<(string Name, string Value)>> HeaderBlocks { get; } = [];
    public MemoryStream Data { get; } = new();
    public uint? ResetCode { get; set; }
    public (uint Code, string Debug)? GoAway { get; set; }
    public string? DecodeError { get; set; }
    public string? TransportError { get; set; }
    public bool Ended { get; set; }

    public string? Header(string name) =>
        HeaderBlocks.SelectMany(b => b).Where(h => h.Name == name).Select(h => h.Value).LastOrDefault();

    public int? HttpStatus => int.TryParse(HeaderBlocks.FirstOrDefault()?.FirstOrDefault(h => h.Name == ":status").Value, out var s) ? s : null;

    public int? GrpcStatus => int.TryParse(Header("grpc-status"), out var s) ? s : null;

    public bool Answered => HeaderBlocks.Count > 0 || ResetCode is not null || GoAway is not null;

    public override string ToString()
    {
        var text = new StringBuilder();
        if (HttpStatus is { } status)
        {
            text.Append($":status {status}");
        }
        if (GrpcStatus is { } grpc)
        {
            text.Append($", grpc-status {grpc} ({(Grpc.Core.StatusCode)grpc}), grpc-message '{Header("grpc-message")}'");
        }
        if (Header("content-type") is { } contentType)
        {
            text.Append($", content-type {contentType}");
        }
        if (ResetCode is { } reset)
        {
            text.Append($", RST_STREAM {Http2Errors.Name(reset)}");
        }
        if (GoAway is { } goAway)
        {
            text.Append($", GOAWAY {Http2Errors.Name(goAway.Code)} '{goAway.Debug}'");
        }
        if (DecodeError is not null)
        {
            text.Append($", undecodable headers: {DecodeError}");
        }
        if (TransportError is not null)
        {
            text.Append($", {TransportError}");
        }
        return text.Length == 0 ? "nothing" : text.ToString().TrimStart(',', ' ');
    }
}

public static class Http2Errors
{
    public const uint NoError = 0x0, ProtocolError = 0x1, InternalError = 0x2, CompressionError = 0x9;

    private static readonly string[] Names =
    [
        "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR",
        "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
    ];

    public static string Name(uint code) => code < Names.Length ? Names[code] : $"0x{code:X}";
}

/// <summary>
/// A minimal HTTP/2 client over a TcpClient with prior knowledge (h2c), for frames Grpc.Net.Client will not
/// send: the connection preface and SETTINGS, then whatever frames a case made (HEADERS with HPACK literals,
/// CONTINUATION, DATA, ...), then reading frames until the stream ends.
/// One connection per exchange, so a GOAWAY provoked by one case cannot affect the next. The answer is read
/// while the frames are still being written: a server that gives up early closes the connection, and what it
/// said before (a GOAWAY, a reset) must not be lost to the broken pipe.
/// </summary>
public sealed class RawHttp2Client : IAsyncDisposable
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    private readonly TcpClient _tcp = new() { NoDelay = true };
    private readonly Hpack.Decoder _decoder = new();
    private NetworkStream _stream = null!;

    public static async Task<RawHttp2Client> ConnectAsync(int port, CancellationToken ct)
    {
        var client = new RawHttp2Client();
        await client._tcp.ConnectAsync("127.0.0.1", port, ct);
        client._stream = client._tcp.GetStream();
        await client._stream.WriteAsync(Preface, ct);
        await client.WriteFrameAsync(new Http2Frame(Http2Frame.Settings, 0, 0, []), ct);
        return client;
    }

    public async Task WriteFrameAsync(Http2Frame frame, CancellationToken ct)
    {
        var header = new byte[9];
        header[0] = (byte)(frame.Payload.Length >> 16);
        header[1] = (byte)(frame.Payload.Length >> 8);
        header[2] = (byte)frame.Payload.Length;
        header[3] = frame.Type;
        header[4] = frame.Flags;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(5), frame.StreamId & 0x7FFFFFFF);
        await _stream.WriteAsync(header, ct);
        await _stream.WriteAsync(frame.Payload, ct);
    }

    /// <summary>Reads until <paramref name="streamId"/> ends (END_STREAM, RST_STREAM), a GOAWAY, the close, or the timeout.</summary>
    public async Task<Http2Answer> ReadAnswerAsync(int streamId, TimeSpan timeout)
    {
        var answer = new Http2Answer();
        using var cancel = new CancellationTokenSource(timeout);
        var block = new MemoryStream();
        var blockEndsStream = false;
        try
        {
            while (!answer.Ended)
            {
                var frame = await ReadFrameAsync(cancel.Token);
                if (frame is null)
                {
                    answer.TransportError ??= "the server closed the connection";
                    break;
                }
                switch (frame.Type)
                {
                    // The server's SETTINGS are not acknowledged: an exchange is over long before it would mind, and a
                    // write to a connection the server is closing would reset it and lose the GOAWAY still unread.
                    case Http2Frame.Ping when (frame.Flags & Http2Frame.Ack) != 0 && frame.Payload.AsSpan().SequenceEqual(Http2Frame.EndMarker):
                        answer.Ended = true; // everything the server had to say about the stream came before this
                        break;
                    case Http2Frame.GoAway:
                        answer.GoAway = (BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.AsSpan(4)), Encoding.UTF8.GetString(frame.Payload.AsSpan(8)));
                        answer.Ended = true;
                        break;
                    case Http2Frame.RstStream when frame.StreamId == streamId:
                        answer.ResetCode = BinaryPrimitives.ReadUInt32BigEndian(frame.Payload);
                        answer.Ended = true;
                        break;
                    case Http2Frame.Headers or Http2Frame.Continuation when frame.StreamId == streamId:
                        block.Write(Unpadded(frame));
                        blockEndsStream |= frame.Type == Http2Frame.Headers && (frame.Flags & Http2Frame.EndStream) != 0;
                        if ((frame.Flags & Http2Frame.EndHeaders) != 0)
                        {
                            try
                            {
                                answer.HeaderBlocks.Add(_decoder.Decode(block.ToArray()));
                            }
                            catch (HpackException error)
                            {
                                answer.DecodeError = error.Message;
                            }
                            block.SetLength(0);
                            answer.Ended |= blockEndsStream;
                            blockEndsStream = false;
                        }
                        break;
                    case Http2Frame.Data when frame.StreamId == streamId:
                        answer.Data.Write(Unpadded(frame));
                        answer.Ended |= (frame.Flags & Http2Frame.EndStream) != 0;
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            answer.TransportError = $"no end of stream within {timeout.TotalSeconds:0} s";
        }
        catch (Exception error) when (error is IOException or SocketException)
        {
            answer.TransportError = $"{error.GetType().Name}: {error.Message}";
        }
        return answer;
    }

    private static byte[] Unpadded(Http2Frame frame)
    {
        const byte padded = 0x8, priority = 0x20;
        var payload = frame.Payload.AsSpan();
        var padding = 0;
        if ((frame.Flags & padded) != 0 && frame.Type is Http2Frame.Data or Http2Frame.Headers)
        {
            padding = payload[0];
            payload = payload[1..];
        }
        if ((frame.Flags & priority) != 0 && frame.Type == Http2Frame.Headers)
        {
            payload = payload[5..];
        }
        return payload[..^padding].ToArray();
    }

    private async Task<Http2Frame?> ReadFrameAsync(CancellationToken ct)
    {
        var header = new byte[9];
        if (!await ReadExactlyOrEndAsync(header, ct))
        {
            return null;
        }
        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        var payload = new byte[length];
        if (!await ReadExactlyOrEndAsync(payload, ct))
        {
            return null;
        }
        return new Http2Frame(header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF, payload);
    }

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer, CancellationToken ct)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, ct);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
