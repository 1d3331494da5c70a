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

    /// <summary>
    /// Reads and drops what is left of a body refused for its size, so the client, still sending, reads the
    /// answer instead of a reset connection. Kestrel stops it at its own ceiling (a few times the limit).
    /// </summary>
    public static async Task DrainAsync(HttpRequest request, CancellationToken ct)
    {
        var chunk = new byte[64 * 1024];
        try
        {
            var body = (request.HttpContext.Items[typeof(LimitedRequestBody)] as LimitedRequestBody)?.Inner ?? request.Body;
            while (await body.ReadAsync(chunk, ct) > 0)
            {
            }
        }
        catch (Exception error) when (error is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // Past Kestrel's ceiling, or the client gave up: the answer goes out as the connection closes.
        }
    }
}
