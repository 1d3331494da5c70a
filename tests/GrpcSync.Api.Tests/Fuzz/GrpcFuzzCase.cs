using System.Text;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>One piece of gRPC metadata a client case sends (text, or bytes for a <c>-bin</c> key).</summary>
public sealed record FuzzMetadata(string Key, string? Text, byte[]? Bytes);

/// <summary>
/// One generated bad gRPC call: either through Grpc.Net.Client (raw protobuf bytes on a method, odd metadata),
/// or as hand-made HTTP/2 frames through <see cref="RawHttp2Client"/>; and what the server must at least do.
/// </summary>
public sealed class GrpcFuzzCase
{
    public required int Index { get; init; }
    public required string Kind { get; init; }

    /// <summary>The gRPC path, "/package.Service/Method" (or the junk path sent).</summary>
    public required string Path { get; init; }

    public required string TokenLabel { get; init; }
    public required TokenKind TokenKind { get; init; }
    public string? Authorization { get; init; }
    public required bool MustBeRejected { get; init; }

    /// <summary>A well-formed call of a method that does not exist: the answer must be UNIMPLEMENTED.</summary>
    public bool ExpectUnimplemented { get; init; }

    /// <summary>A control case of well-formed frames: the grpc-status it must get (proves the raw client reads answers).</summary>
    public int? ExpectGrpcStatus { get; init; }

    /// <summary>The client itself abandons the stream; the server may answer or not.</summary>
    public bool AllowNoAnswer { get; init; }

    /// <summary>
    /// The RFC makes this a connection error: the server sends GOAWAY and closes, and the close may reset the
    /// socket before the client reads the GOAWAY (frames it sent are still unread). A reset is then an answer too.
    /// </summary>
    public bool ConnectionErrorExpected { get; init; }

    /// <summary>GOAWAY codes this case may provoke: NO_ERROR and PROTOCOL_ERROR, plus any the RFC mandates for it.</summary>
    public IReadOnlySet<uint> AllowedGoAwayCodes { get; init; } = new HashSet<uint> { Http2Errors.NoError, Http2Errors.ProtocolError };

    // ---- Through Grpc.Net.Client ----

    public byte[]? Payload { get; init; }
    public IReadOnlyList<FuzzMetadata> Metadata { get; init; } = [];
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(5);

    // ---- As raw HTTP/2 frames ----

    public IReadOnlyList<Http2Frame>? Frames { get; init; }

    /// <summary>The request headers of the frames, for the description (the frames carry them HPACK-encoded).</summary>
    public IReadOnlyList<(string Name, string Value)> RawHeaders { get; init; } = [];

    public int StreamId { get; init; } = 1;

    public string Describe()
    {
        var text = new StringBuilder($"case #{Index} [{Kind}] {Shorten(Path, 200)}, token: {TokenLabel}");
        if (Frames is null)
        {
            text.Append($"\n      Grpc.Net.Client unary call, deadline {Deadline.TotalMilliseconds:0} ms, message: {JunkValues.Preview(Payload ?? [], 120)}");
            foreach (var entry in Metadata.Take(8))
            {
                text.Append($"\n      {entry.Key}: {(entry.Bytes is null ? Shorten(entry.Text ?? "", 120) : $"<{entry.Bytes.Length} bytes>")}");
            }
            if (Metadata.Count > 8)
            {
                text.Append($"\n      … {Metadata.Count - 8} more metadata entries");
            }
            return text.ToString();
        }
        text.Append("\n      frames: preface, SETTINGS");
        foreach (var frame in Frames)
        {
            text.Append($"\n      {FrameName(frame.Type)}(stream {frame.StreamId}, flags 0x{frame.Flags:X2}, {frame.Payload.Length} bytes)");
            if (frame.Type is Http2Frame.Data or Http2Frame.Settings or Http2Frame.WindowUpdate or Http2Frame.RstStream)
            {
                text.Append($": {JunkValues.Preview(frame.Payload, 80)}");
            }
            if (frame.Type == Http2Frame.Headers)
            {
                foreach (var (name, value) in RawHeaders.Take(12))
                {
                    text.Append($"\n        {Shorten(name, 60)}: {(name == "authorization" ? $"<{TokenLabel}>" : Shorten(value, 120))}");
                }
                if (RawHeaders.Count > 12)
                {
                    text.Append($"\n        … {RawHeaders.Count - 12} more headers");
                }
            }
        }
        return text.ToString();
    }

    private static string FrameName(byte type) => type switch
    {
        Http2Frame.Data => "DATA",
        Http2Frame.Headers => "HEADERS",
        Http2Frame.RstStream => "RST_STREAM",
        Http2Frame.Settings => "SETTINGS",
        Http2Frame.WindowUpdate => "WINDOW_UPDATE",
        Http2Frame.Ping => "PING",
        Http2Frame.Continuation => "CONTINUATION",
        _ => $"frame type {type}",
    };

    private static string Shorten(string value, int max) => value.Length <= max ? value : value[..max] + $"… ({value.Length} chars)";
}
