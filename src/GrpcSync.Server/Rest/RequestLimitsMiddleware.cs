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

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value + request.QueryString.Value;
        var lineBytes = request.Method.Length + 1 + target.Length + 1 + request.Protocol.Length;
        if (lineBytes > _limits.MaxRequestLineBytes)
        {
            return Reject(context, StatusCodes.Status414UriTooLong, "URI_TOO_LONG",
                $"The request line is {lineBytes} bytes; this server accepts at most {_limits.MaxRequestLineBytes} (GrpcSync:Limits:MaxRequestLineBytes).");
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
            return Reject(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "HEADERS_TOO_LARGE",
                $"The request headers are {headerBytes} bytes; this server accepts at most {_limits.MaxRequestHeadersBytes} (GrpcSync:Limits:MaxRequestHeadersBytes).");
        }
        return next(context);
    }

    private static Task Reject(HttpContext context, int httpStatus, string reason, string message)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            GrpcTrailersOnly.Set(context.Response, Code.ResourceExhausted, message);
            return Task.CompletedTask;
        }
        return RestErrorWriter.WriteAsync(context, httpStatus, Code.InvalidArgument, message, reason);
    }
}
