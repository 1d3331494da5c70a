namespace GrpcSync.Server.Rest;

public static class RequestKinds
{
    /// <summary>
    /// A native gRPC call: HTTP/2 with a gRPC content type. Anything else is REST, even with
    /// <c>Content-Type: application/grpc</c> on the HTTP/1.1 port, and gets REST's answers.
    /// </summary>
    public static bool IsNativeGrpc(HttpRequest request) =>
        HttpProtocol.IsHttp2(request.Protocol)
        && request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
}
