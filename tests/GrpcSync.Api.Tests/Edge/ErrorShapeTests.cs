using System.Net;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests.Edge;

/// <summary>
/// Every rejection a REST caller can get — from routing, the server's limits or transcoding's own parser —
/// has the one error shape with an ErrorInfo, over HTTP/1.1 and over h2c alike, and logs no error.
/// </summary>
public abstract class ErrorShapeTests(EdgeServerFixture server)
{
    public sealed class OnSqlite(SqliteEdgeServer server) : ErrorShapeTests(server), IClassFixture<SqliteEdgeServer>;

    public sealed class OnPostgres(PostgresEdgeServer server) : ErrorShapeTests(server), IClassFixture<PostgresEdgeServer>;

    public static TheoryData<string> Versions => new() { "1.1", "2.0" };

    private HttpClient ClientFor(string version) => version == "2.0" ? server.Http2 : server.Http;

    private async Task<System.Text.Json.JsonElement> Send(string version, HttpMethod method, string path, string token,
        string? json, int status, string reason, string contentType = "application/json", bool expectContinue = false)
    {
        using var request = WireErrors.Request(method, path, token, json is null ? null : WireErrors.Utf8(json),
            json is null ? null : contentType, Version.Parse(version));
        request.Headers.ExpectContinue = expectContinue;
        using var response = await ClientFor(version).SendAsync(request);
        var body = await WireErrors.AssertError(response, status, reason);
        server.Logs.AssertNoErrors();
        return body;
    }

    [Theory, MemberData(nameof(Versions))]
    public async Task AnUnknownRoute_Is404RouteNotFound(string version)
    {
        var user = server.NewUser();
        var body = await Send(version, HttpMethod.Get, "/api/nope", user.Token, null, 404, "ROUTE_NOT_FOUND");
        Assert.Equal(5, body.GetProperty("code").GetInt32());
        await Send(version, HttpMethod.Put, "/api/syncs", user.Token, null, 404, "ROUTE_NOT_FOUND");
    }

    [Theory, MemberData(nameof(Versions))]
    public async Task MalformedJson_IsInvalidJson_WithWhereTheParserStopped(string version)
    {
        var user = server.NewUser();
        var body = await Send(version, HttpMethod.Post, "/api/credentials", user.Token, "{\"integration\":\n  \"x\",,}", 400, "INVALID_JSON");
        Assert.Contains("line 2", body.GetProperty("message").GetString());
        Assert.NotEmpty(WireErrors.ViolatedFields(body));
    }

    [Theory, MemberData(nameof(Versions))]
    public async Task AValueOfTheWrongJsonType_IsInvalidJson_NamingTheField(string version)
    {
        var user = server.NewUser();
        var body = await Send(version, HttpMethod.Post, "/api/credentials", user.Token,
            """{"integration":5,"displayName":"d","secret":"s"}""", 400, "INVALID_JSON");
        Assert.Equal(["integration"], WireErrors.ViolatedFields(body));
        body = await Send(version, HttpMethod.Post, "/api/syncs", user.Token,
            """{"integration":"googledrive","pipeline":"files","configuration":[1,2]}""", 400, "INVALID_JSON");
        Assert.Equal(["configuration"], WireErrors.ViolatedFields(body));
    }

    [Theory, MemberData(nameof(Versions))]
    public async Task ABodyThatIsNotAnObject_IsInvalidJson(string version)
    {
        var user = server.NewUser();
        foreach (var json in new[] { "[1]", "\"text\"", "42", "null" })
        {
            await Send(version, HttpMethod.Post, "/api/credentials", user.Token, json, 400, "INVALID_JSON");
        }
    }

    [Theory, MemberData(nameof(Versions))]
    public async Task AValueTranscodingCannotConvert_IsInvalidJson(string version)
    {
        var user = server.NewUser();
        var sync = await user.NewSync();
        await Send(version, HttpMethod.Post, $"/api/syncs/{sync.Id}/trigger", user.Token, """{"type":"SIDEWAYS"}""", 400, "INVALID_JSON");
    }

    [Theory, MemberData(nameof(Versions))]
    public async Task AQueryValueOfTheWrongType_IsInvalidArgument_NamingTheParameter(string version)
    {
        var user = server.NewUser();
        var sync = await user.NewSync();
        var body = await Send(version, HttpMethod.Get, $"/api/syncs/{sync.Id}/runs?pageSize=abc", user.Token, null, 400, "INVALID_ARGUMENT");
        Assert.Equal(["pageSize"], WireErrors.ViolatedFields(body));
    }

    [Fact]
    public async Task ABodyOverTheLimit_Is413RequestTooLarge()
    {
        var user = server.NewUser();
        var json = "{\"integration\":\"googledrive\",\"displayName\":\"d\",\"secret\":\"" + new string('a', 1024 * 1024 + 10) + "\"}";
        // Expect: 100-continue, so the server's early 413 arrives before the client writes the 1 MiB body;
        // otherwise the server may close the connection while the client still writes (broken pipe).
        await Send("1.1", HttpMethod.Post, "/api/credentials", user.Token, json, 413, "REQUEST_TOO_LARGE", expectContinue: true);
        Assert.Empty((await user.ListCredentials(Transport.Grpc)).Ok().Data);
    }

    [Fact]
    public async Task ARequestLineOverTheLimit_Is414UriTooLong()
    {
        var user = server.NewUser();
        await Send("1.1", HttpMethod.Get, "/api/syncs?credentialId=" + new string('a', 9000), user.Token, null, 414, "URI_TOO_LONG");
    }

    [Fact]
    public async Task HeadersOverTheLimit_Are431HeadersTooLarge()
    {
        var user = server.NewUser();
        using var request = WireErrors.Request(HttpMethod.Get, "/api/syncs", user.Token);
        request.Headers.TryAddWithoutValidation("X-Padding", new string('p', 64 * 1024));
        using var response = await server.Http.SendAsync(request);
        await WireErrors.AssertError(response, 431, "HEADERS_TOO_LARGE");
    }

    [Theory]
    [InlineData("zz")]
    [InlineData("FFFFFFFFFFFFFFFFFFFF")] // overflows: Kestrel reports it as a plain IOException
    public async Task AChunkedBodyThatBreaksOff_Is400InvalidRequestBody(string chunkSize)
    {
        var user = server.NewUser();
        var answer = await RawHttp1(
            "POST /api/credentials HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user.Token +
            "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunkSize + "\r\n{}\r\n0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Contains("\"reason\":\"INVALID_REQUEST_BODY\"", answer);
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task AChunkedBodyOverTheLimit_Is413RequestTooLarge_AndTheAnswerIsRead()
    {
        var user = server.NewUser();
        var chunk = new string('a', 256 * 1024);
        var body = string.Concat(Enumerable.Repeat($"{chunk.Length:X}\r\n{chunk}\r\n", 6)) + "0\r\n\r\n"; // 1.5 MiB
        var answer = await RawHttp1(
            "POST /api/credentials HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + user.Token +
            "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body);
        Assert.StartsWith("HTTP/1.1 413", answer);
        Assert.Contains("\"reason\":\"REQUEST_TOO_LARGE\"", answer);
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task MoreHeadersThanTheLimit_Are431HeadersTooLarge()
    {
        var user = server.NewUser();
        using var request = WireErrors.Request(HttpMethod.Get, "/api/syncs", user.Token);
        for (var i = 0; i < 120; i++)
        {
            request.Headers.TryAddWithoutValidation($"X-Many-{i}", "1");
        }
        using var response = await server.Http.SendAsync(request);
        await WireErrors.AssertError(response, 431, "HEADERS_TOO_LARGE");
    }

    [Fact]
    public async Task AGrpcContentTypeOnTheRestPort_GetsRestAnswers()
    {
        var user = server.NewUser();
        using (var request = WireErrors.Request(HttpMethod.Get, "/api/syncs", "not-a-token", contentType: "application/grpc"))
        using (var response = await server.Http.SendAsync(request))
        {
            await WireErrors.AssertError(response, 401, "TOKEN_MALFORMED");
        }
        using (var request = WireErrors.Request(HttpMethod.Post, "/api/nope", user.Token, [0, 0, 0, 0, 0], "application/grpc"))
        using (var response = await server.Http.SendAsync(request))
        {
            // Two segments match grpc-dotnet's catch-all for unknown methods; over REST it is still no route.
            await WireErrors.AssertError(response, 404, "ROUTE_NOT_FOUND");
        }
        using (var request = WireErrors.Request(HttpMethod.Post, "/api/credentials", user.Token, [0, 0, 0, 0, 0], "application/grpc"))
        using (var response = await server.Http.SendAsync(request))
        {
            await WireErrors.AssertError(response, 415, "UNSUPPORTED_MEDIA_TYPE");
        }
    }

    /// <summary>Hand-written HTTP/1.1 (with Connection: close), for what HttpClient will not send; returns everything the server wrote.</summary>
    private async Task<string> RawHttp1(string request)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.RestPort);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(WireErrors.Utf8(request));
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
