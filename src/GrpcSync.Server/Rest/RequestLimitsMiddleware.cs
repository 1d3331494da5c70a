using Code = Google.Rpc.Code;
using GrpcSync.Server.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace GrpcSync.Server.Rest;

/// <summary>
/// Enforces <see cref="LimitsOptions"/> on the request line and headers. Kestrel reads up to
/// <see cref="LimitsOptions.KestrelHeadroom"/> times more, so that an oversized request gets an answer in the
/// error shape (414 <c>URI_TOO_LONG</c>, 431 <c>HEADERS_TOO_LARGE</c>; gRPC: RESOURCE_EXHAUSTED) instead of
/// Kestrel's empty-bodied rejection.
/// </summary>
public sealed class RequestLimitsMiddleware(RequestDelegate next, IOptions<GrpcSyncOptions> options)
{
    private readonly LimitsOptions _limits = options.Value.Limits;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value + request.QueryString.Value;
        var lineBytes = request.Method.Length + 1 + target.Length + 1 + request.Protocol.Length;
        if (lineBytes > _limits.MaxRequestLineBytes)
        {
            await Reject(context, StatusCodes.Status414UriTooLong, "URI_TOO_LONG",
                $"The request line is {lineBytes} bytes; this server accepts at most {_limits.MaxRequestLineBytes} (GrpcSync:Limits:MaxRequestLineBytes).");
            return;
        }
        if (HttpProtocol.IsHttp2(request.Protocol) && HasConnectionSpecificHeader(request))
        {
            // RFC 9113 §8.2.2: such a request is malformed, a stream error of type PROTOCOL_ERROR (Kestrel serves it).
            context.Features.Get<IHttpResetFeature>()?.Reset(errorCode: 0x1);
            return;
        }
        if (request.Headers.Count > _limits.MaxRequestHeaderCount)
        {
            await Reject(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "HEADERS_TOO_LARGE",
                $"The request has {request.Headers.Count} headers; this server accepts at most {_limits.MaxRequestHeaderCount} (GrpcSync:Limits:MaxRequestHeaderCount).");
            return;
        }
        var headerBytes = 0L;
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                headerBytes += name.Length + (value?.Length ?? 0);
            }
        }
        if (headerBytes > _limits.MaxRequestHeadersBytes)
        {
            await Reject(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "HEADERS_TOO_LARGE",
                $"The request headers are {headerBytes} bytes; this server accepts at most {_limits.MaxRequestHeadersBytes} (GrpcSync:Limits:MaxRequestHeadersBytes).");
            return;
        }
        // Native gRPC messages are bounded by grpc-dotnet (MaxReceiveMessageSize, the same limit).
        if (!RequestKinds.IsNativeGrpc(request) && RequestBodies.HasBody(request))
        {
            if (request.ContentLength > _limits.MaxRequestBodyBytes)
            {
                await RequestBodies.DrainAsync(request, context.RequestAborted);
                await RestErrorWriter.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, Code.InvalidArgument,
                    $"The request body is {request.ContentLength} bytes; this server accepts at most {_limits.MaxRequestBodyBytes} (GrpcSync:Limits:MaxRequestBodyBytes).",
                    "REQUEST_TOO_LARGE");
                return;
            }
            if (request.ContentLength is null)
            {
                var limited = new LimitedRequestBody(request.Body, _limits.MaxRequestBodyBytes);
                context.Items[typeof(LimitedRequestBody)] = limited;
                request.Body = limited;
            }
        }
        await next(context);
    }

    private static readonly string[] ConnectionSpecific = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"];

    private static bool HasConnectionSpecificHeader(HttpRequest request) =>
        ConnectionSpecific.Any(request.Headers.ContainsKey)
        || (request.Headers.TryGetValue("te", out var te) && !string.Equals(te.ToString(), "trailers", StringComparison.OrdinalIgnoreCase));

    private static Task Reject(HttpContext context, int httpStatus, string reason, string message)
    {
        if (RequestKinds.IsNativeGrpc(context.Request))
        {
            GrpcTrailersOnly.Set(context.Response, Code.ResourceExhausted, message);
            return Task.CompletedTask;
        }
        return RestErrorWriter.WriteAsync(context, httpStatus, Code.InvalidArgument, message, reason);
    }
}
