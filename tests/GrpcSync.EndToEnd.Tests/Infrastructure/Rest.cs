using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>A finished REST call, printable for assertion messages.</summary>
public sealed record RestResponse(string Request, HttpStatusCode Status, string? ContentType, string Body)
{
    public JsonNode? Json => JsonNode.Parse(Body);

    public JsonObject JsonObject => Json?.AsObject() ?? throw new InvalidOperationException($"No JSON object:{Environment.NewLine}{this}");

    public override string ToString() => $"{Request} -> {(int)Status} {Status} ({ContentType}){Environment.NewLine}{Body}";
}

/// <summary>JSON over the HTTP/1.1 REST port.</summary>
public static class Rest
{
    public static async Task<RestResponse> SendAsync(HttpClient http, HttpMethod method, string path, string? token, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        var json = body?.ToJsonString();
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new RestResponse($"{method} {path}{(json is null ? "" : " " + json)}", response.StatusCode,
            response.Content.Headers.ContentType?.MediaType, text);
    }

    /// <summary>A call that must answer 200 with a JSON object; returns it.</summary>
    public static async Task<JsonObject> OkAsync(HttpClient http, HttpMethod method, string path, string token, JsonNode? body = null)
    {
        var response = await SendAsync(http, method, path, token, body);
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        Assert.True(response.ContentType == "application/json", response.ToString());
        return response.JsonObject;
    }
}
