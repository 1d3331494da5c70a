using System.Net;
using System.Net.Http.Headers;

namespace GrpcSync.Bench;

/// <summary>
/// One sample request with exactly what the load tool sends, checked the way a client would:
/// gRPC errors are HTTP 200, so native gRPC samples read <c>grpc-status</c> from the trailers.
/// </summary>
public static class Probe
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
    {
        Timeout = TimeSpan.FromSeconds(15),
    };

    public sealed record Outcome(bool Ok, string Detail, string Body);

    /// <summary>A native gRPC call over h2c: POST the framed body; OK means HTTP 200 and grpc-status 0.</summary>
    public static async Task<Outcome> GrpcAsync(string baseUrl, string path, byte[] body, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact, // h2c with prior knowledge
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", bearer);
        }
        try
        {
            using var response = await Http.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            // A trailers-only answer carries grpc-status in the headers.
            var status = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");
            var message = Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message");
            var ok = response.StatusCode == HttpStatusCode.OK && status == "0";
            return new Outcome(ok, $"HTTP {(int)response.StatusCode}, grpc-status {status ?? "missing"}" +
                                   (message is null ? "" : $" ({Uri.UnescapeDataString(message)})") + $", {bytes.Length} bytes", "");
        }
        catch (HttpRequestException error)
        {
            return new Outcome(false, error.Message, "");
        }
    }

    /// <summary>A JSON/REST call over HTTP/1.1 or h2c; OK means HTTP 200.</summary>
    public static async Task<Outcome> RestAsync(HttpMethod method, string url, string? jsonBody, string bearer, bool http2)
    {
        using var request = new HttpRequestMessage(method, url)
        {
            Version = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (jsonBody is not null)
        {
            request.Content = new StringContent(jsonBody, System.Text.Encoding.UTF8, "application/json");
        }
        request.Headers.TryAddWithoutValidation("authorization", bearer);
        try
        {
            using var response = await Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return new Outcome(response.StatusCode == HttpStatusCode.OK,
                $"HTTP {(int)response.StatusCode} (HTTP/{response.Version})" + (response.StatusCode == HttpStatusCode.OK ? "" : $": {Clip(text)}"),
                text);
        }
        catch (HttpRequestException error)
        {
            return new Outcome(false, error.Message, "");
        }
    }

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string Clip(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
