using Microsoft.AspNetCore.Http.Features;

namespace GrpcSync.Server.Rest;

public static class RequestBodies
{
    /// <summary>
    /// Whether the request carries a body, as the server saw it: a non-zero Content-Length or chunked transfer
    /// (HTTP/1.1), or a stream not ended by its HEADERS frame (HTTP/2).
    /// </summary>
    public static bool HasBody(HttpRequest request) =>
        request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? request.ContentLength is > 0;
}
