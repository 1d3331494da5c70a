using System.Diagnostics;
using Grpc.AspNetCore.Server;

namespace GrpcSync.Server.Telemetry;

/// <summary>
/// The API call's server span (ASP.NET Core's) gets the gRPC method it reached, over either transport: a REST
/// route is named by its template (<c>/api/syncs/{id}</c>), so <c>rpc.method</c> tells which RPC it was.
/// Nothing from the request's body, headers or token goes on a span.
/// </summary>
internal static class ApiSpans
{
    public static void AddRpcMethod(Activity activity, HttpResponse response)
    {
        if (response.HttpContext.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } grpc)
        {
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", grpc.Method.ServiceName);
            activity.SetTag("rpc.method", grpc.Method.Name);
        }
    }
}
