using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Collections.Frozen;
using System.IO.Compression;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using GrpcSync.Server.Hosting;
using GrpcSync.Server.Rest;
using Microsoft.Extensions.Options;
using Code = Google.Rpc.Code;

namespace GrpcSync.Server.GrpcWire;

/// <summary>
/// Checks the one length-prefixed message of a native unary gRPC call before grpc-dotnet reads it, because
/// grpc-dotnet answers a malformed request as a server fault: a truncated frame or a compressed flag without
/// <c>grpc-encoding</c> is INTERNAL, and bytes that are not the request message are UNKNOWN with an error log
/// and a stack trace. Here each of those is INVALID_ARGUMENT, logged at debug level. The body is only
/// looked at (the pipe is not consumed), so grpc-dotnet then reads it as usual; a message over the size limit
/// is left to grpc-dotnet's own RESOURCE_EXHAUSTED.
/// </summary>
public sealed class GrpcRequestFramingMiddleware(RequestDelegate next, IOptions<GrpcSyncOptions> options, ILogger<GrpcRequestFramingMiddleware> logger)
{
    private const int PrefixLength = 5;
    private const string TooLarge = "too large";

    /// <summary>
    /// The request parser of every unary (or server-streaming) method this server serves, by path: every proto
    /// file of the contracts assembly (a new one cannot be forgotten here), plus health.
    /// </summary>
    private static readonly FrozenDictionary<string, MessageParser> Parsers = ContractFiles()
        .Append(global::Grpc.Health.V1.HealthReflection.Descriptor)
        .SelectMany(file => file.Services)
        .SelectMany(service => service.Methods.Where(m => !m.IsClientStreaming).Select(m => (Path: $"/{service.FullName}/{m.Name}", m.InputType.Parser)))
        .ToFrozenDictionary(x => x.Path, x => x.Parser, StringComparer.Ordinal);

    /// <summary>The descriptors protoc generated for protos/grpcsync/v1 (one static <c>XxxReflection.Descriptor</c> per file).</summary>
    private static IEnumerable<Google.Protobuf.Reflection.FileDescriptor> ContractFiles() =>
        typeof(V1.SyncReflection).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(V1.SyncReflection).Namespace && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
            .Select(t => t.GetProperty("Descriptor")?.GetValue(null))
            .OfType<Google.Protobuf.Reflection.FileDescriptor>();

    private readonly int _maxMessage = options.Value.Limits.MaxRequestBodyBytes;

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is not { } method
            || endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Grpc.JsonTranscoding.GrpcJsonTranscodingMetadata>() is not null // REST
            || !RequestKinds.IsNativeGrpc(context.Request)
            || !Parsers.TryGetValue(method.Method.FullName, out var parser))
        {
            await next(context);
            return;
        }

        var problem = await Inspect(context, parser);
        if (problem is null)
        {
            await next(context);
            return;
        }
        if (ReferenceEquals(problem, TooLarge))
        {
            GrpcTrailersOnly.Set(context.Response, Code.ResourceExhausted,
                $"The request message is larger than {_maxMessage} bytes (GrpcSync:Limits:MaxRequestBodyBytes).");
            return;
        }
        logger.LogDebug("Rejected a malformed gRPC request to {Method}: {Problem}", method.Method.FullName, problem);
        GrpcTrailersOnly.Set(context.Response, Code.InvalidArgument, problem);
    }

    /// <summary>Reads the whole request without consuming it; null when grpc-dotnet may have it.</summary>
    private async Task<string?> Inspect(HttpContext context, MessageParser parser)
    {
        var reader = context.Request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync(context.RequestAborted);
            var buffered = result.Buffer;
            if (buffered.Length >= PrefixLength && DeclaredLength(buffered) > _maxMessage)
            {
                reader.AdvanceTo(buffered.Start);
                // Said here, not by grpc-dotnet: past 2 GiB its own check throws and answers UNKNOWN.
                return TooLarge;
            }
            if (result.IsCompleted || result.IsCanceled || buffered.Length > _maxMessage + PrefixLength)
            {
                break;
            }
            reader.AdvanceTo(buffered.Start, buffered.End); // examined all, consumed nothing: wait for more
        }

        var buffer = result.Buffer;
        try
        {
            return Check(buffer, context.Request.Headers["grpc-encoding"].ToString(), parser);
        }
        finally
        {
            reader.AdvanceTo(buffer.Start);
        }
    }

    private string? Check(ReadOnlySequence<byte> buffer, string encoding, MessageParser parser)
    {
        if (buffer.Length == 0)
        {
            return "The request has no message: a unary call sends exactly one length-prefixed message.";
        }
        if (buffer.Length < PrefixLength)
        {
            return "Incomplete message: the 5-byte message prefix is cut short.";
        }
        var compressed = buffer.FirstSpan[0] switch
        {
            0 => false,
            1 => true,
            var flag => (bool?)null,
        };
        if (compressed is null)
        {
            return $"Invalid message prefix: the compressed flag must be 0 or 1, got {buffer.FirstSpan[0]}.";
        }
        var length = DeclaredLength(buffer);
        var available = buffer.Length - PrefixLength;
        if (available < length)
        {
            return $"Incomplete message: the prefix declares {length} bytes, {available} arrived.";
        }
        if (available > length)
        {
            return "A unary call sends exactly one message; more bytes followed it.";
        }
        var payload = buffer.Slice(PrefixLength, length);
        if (compressed.Value)
        {
            if (encoding.Length == 0 || encoding == "identity")
            {
                return "The message is flagged compressed but the request has no grpc-encoding.";
            }
            var decompressed = Decompress(payload, encoding);
            if (decompressed is null)
            {
                return null; // an encoding we do not know, or too large: grpc-dotnet answers it
            }
            if (decompressed.Length == 0 && payload.Length > 0)
            {
                return $"The message could not be decompressed with {encoding}.";
            }
            payload = new ReadOnlySequence<byte>(decompressed);
        }
        try
        {
            parser.ParseFrom(payload);
            return null;
        }
        catch (InvalidProtocolBufferException error)
        {
            return "The message is not a valid " + parser.GetType().GenericTypeArguments.FirstOrDefault()?.Name + ": " + error.Message;
        }
    }

    /// <summary>gzip or deflate, bounded by the message limit; null for anything else (or over the limit), empty when corrupt.</summary>
    private byte[]? Decompress(ReadOnlySequence<byte> payload, string encoding)
    {
        try
        {
            using var input = new MemoryStream(payload.ToArray());
            using Stream decoder = encoding switch
            {
                "gzip" => new GZipStream(input, CompressionMode.Decompress),
                "deflate" => new ZLibStream(input, CompressionMode.Decompress),
                _ => Stream.Null,
            };
            if (decoder == Stream.Null)
            {
                return null;
            }
            using var output = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = decoder.Read(chunk)) > 0)
            {
                if (output.Length + read > _maxMessage)
                {
                    return null;
                }
                output.Write(chunk, 0, read);
            }
            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return [];
        }
    }

    private static long DeclaredLength(ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[PrefixLength];
        buffer.Slice(0, PrefixLength).CopyTo(prefix);
        return BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
    }
}
