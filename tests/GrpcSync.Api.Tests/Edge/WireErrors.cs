using System.Net;
using System.Text;
using System.Text.Json;

namespace GrpcSync.Api.Tests.Edge;

/// <summary>Checks of an error as it is on the wire, for requests the typed clients cannot send.</summary>
public static class WireErrors
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Asserts the HTTP status, a UTF-8 JSON body of exactly <c>{code, message, details}</c> whose details carry an
    /// ErrorInfo with <paramref name="reason"/>, and returns the body.
    /// </summary>
    public static async Task<JsonElement> AssertError(HttpResponseMessage response, int httpStatus, string reason)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var text = StrictUtf8.GetString(bytes); // throws for a body that is not UTF-8
        Assert.True(httpStatus == (int)response.StatusCode, $"expected HTTP {httpStatus}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        using var document = JsonDocument.Parse(text);
        var body = document.RootElement.Clone();
        Assert.Equal(["code", "details", "message"], body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("message").GetString()));
        var info = body.GetProperty("details").EnumerateArray()
            .FirstOrDefault(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.ErrorInfo");
        Assert.True(info.ValueKind == JsonValueKind.Object, $"no ErrorInfo in {text}");
        Assert.Equal(reason, info.GetProperty("reason").GetString());
        return body;
    }

    /// <summary>The field names of the BadRequest detail of an error body.</summary>
    public static string[] ViolatedFields(JsonElement body) =>
        body.GetProperty("details").EnumerateArray()
            .Where(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.BadRequest")
            .SelectMany(d => d.GetProperty("fieldViolations").EnumerateArray().Select(v => v.GetProperty("field").GetString()!))
            .ToArray();

    /// <summary>A request with a body of exactly these bytes and this Content-Type header (sent as given, unvalidated).</summary>
    public static HttpRequestMessage Request(HttpMethod method, string path, string token, byte[]? body = null, string? contentType = null,
        Version? version = null)
    {
        var request = new HttpRequestMessage(method, path)
        {
            Version = version ?? HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.Remove("Content-Type");
        }
        if (contentType is not null)
        {
            request.Content ??= new ByteArrayContent([]);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        return request;
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
