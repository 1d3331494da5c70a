using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GrpcSync.Server.Errors;

namespace GrpcSync.Server.RateLimiting;

/// <summary>The one answer to a caller over its limit: RESOURCE_EXHAUSTED (HTTP 429), <c>Retry-After</c>, ErrorInfo and RetryInfo.</summary>
public static class RateLimited
{
    public const string Reason = "RATE_LIMITED";

    public static RpcException Exception(HttpContext http, TimeSpan retryAfter, string message)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var status = RpcErrors.ToStatus(Code.ResourceExhausted, $"{message} Retry after {seconds} s.", Reason);
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(seconds)) }));
        return status.ToRpcException();
    }
}
