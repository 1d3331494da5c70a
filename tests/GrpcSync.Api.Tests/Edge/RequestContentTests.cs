using System.Text;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests.Edge;

/// <summary>
/// What a REST request declares about its body (charset, media type, content coding) is checked before
/// transcoding, which threw (HTTP 500) for a charset it could not look up.
/// </summary>
public abstract class RequestContentTests(EdgeServerFixture server)
{
    public sealed class OnSqlite(SqliteEdgeServer server) : RequestContentTests(server), IClassFixture<SqliteEdgeServer>;

    public sealed class OnPostgres(PostgresEdgeServer server) : RequestContentTests(server), IClassFixture<PostgresEdgeServer>;

    private const string CredentialBody = """{"integration":"googledrive","displayName":"Drive","secret":"s"}""";

    [Theory]
    [InlineData("application/json; charset=bogus")]
    [InlineData("application/json; charset=")]
    [InlineData("application/json; charset=\"\"")]
    [InlineData("application/json; charset=\"x-unknown-42\"")]
    public async Task UnknownOrEmptyCharset_Is415UnsupportedCharset_OnEveryMethod(string contentType)
    {
        var user = server.NewUser();
        var sync = await user.NewSync(); // creates the user's one credential
        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
                 {
                     (HttpMethod.Post, "/api/credentials", CredentialBody),
                     (HttpMethod.Get, "/api/syncs", null),
                     (HttpMethod.Get, $"/api/syncs/{sync.Id}", null),
                     (HttpMethod.Delete, $"/api/syncs/{sync.Id}", null),
                 })
        {
            using var request = WireErrors.Request(method, path, user.Token, body is null ? null : WireErrors.Utf8(body), contentType);
            using var response = await server.Http.SendAsync(request);
            await WireErrors.AssertError(response, 415, "UNSUPPORTED_CHARSET");
        }
        // Nothing was created or deleted by the rejected calls.
        Assert.Single((await user.ListCredentials(Transport.Grpc)).Ok().Data);
        (await user.GetSync(Transport.Grpc, sync.Id)).Ok();
        server.Logs.AssertNoErrors();
    }

    [Theory]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json;charset=utf8")]
    [InlineData("application/merge-patch+json")]
    public async Task Utf8InAnyValidSpelling_IsAccepted(string contentType)
    {
        var user = server.NewUser();
        using var request = WireErrors.Request(HttpMethod.Post, "/api/credentials", user.Token, WireErrors.Utf8(CredentialBody), contentType);
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Single((await user.ListCredentials(Transport.Grpc)).Ok().Data);
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-16le")]
    [InlineData("iso-8859-1")]
    public async Task AnotherKnownCharset_IsReadAsDeclared_AndAnsweredInUtf8(string charset)
    {
        var user = server.NewUser();
        var body = $$"""{"integration":"googledrive","displayName":"Café {{charset}}","secret":"s"}""";
        using var request = WireErrors.Request(HttpMethod.Post, "/api/credentials", user.Token,
            Encoding.GetEncoding(charset).GetBytes(body), $"application/json; charset={charset}");
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        var text = new UTF8Encoding(false, true).GetString(await response.Content.ReadAsByteArrayAsync());
        Assert.Contains($"\"displayName\":\"Café {charset}\"", text);
        Assert.Equal($"Café {charset}", Assert.Single((await user.ListCredentials(Transport.Grpc)).Ok().Data).DisplayName);
    }

    [Fact]
    public async Task AnErrorToAUtf16Request_IsUtf8Json()
    {
        var user = server.NewUser();
        using var request = WireErrors.Request(HttpMethod.Post, "/api/credentials", user.Token,
            Encoding.Unicode.GetBytes("""{"integration":"Bad Key"}"""), "application/json; charset=utf-16");
        using var response = await server.Http.SendAsync(request);
        var body = await WireErrors.AssertError(response, 400, "INVALID_ARGUMENT");
        Assert.Contains("integration", WireErrors.ViolatedFields(body));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    [InlineData(";;;")]
    public async Task ABodyThatIsNotDeclaredJson_Is415UnsupportedMediaType(string contentType)
    {
        var user = server.NewUser();
        using var request = WireErrors.Request(HttpMethod.Post, "/api/credentials", user.Token, WireErrors.Utf8(CredentialBody), contentType);
        using var response = await server.Http.SendAsync(request);
        await WireErrors.AssertError(response, 415, "UNSUPPORTED_MEDIA_TYPE");
        Assert.Empty((await user.ListCredentials(Transport.Grpc)).Ok().Data);
    }

    [Fact]
    public async Task ABodyWithoutContentType_Is415UnsupportedMediaType()
    {
        var user = server.NewUser();
        using var request = WireErrors.Request(HttpMethod.Post, "/api/credentials", user.Token, WireErrors.Utf8(CredentialBody));
        using var response = await server.Http.SendAsync(request);
        await WireErrors.AssertError(response, 415, "UNSUPPORTED_MEDIA_TYPE");
    }

    [Fact]
    public async Task AContentCodedBody_Is415UnsupportedContentEncoding()
    {
        var user = server.NewUser();
        using var request = WireErrors.Request(HttpMethod.Post, "/api/credentials", user.Token, WireErrors.Utf8(CredentialBody), "application/json");
        request.Content!.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
        using var response = await server.Http.SendAsync(request);
        await WireErrors.AssertError(response, 415, "UNSUPPORTED_CONTENT_ENCODING");
    }

    [Fact]
    public async Task AGetWithANonJsonContentTypeButNoBody_IsServed()
    {
        var user = server.NewUser();
        using var request = WireErrors.Request(HttpMethod.Get, "/api/syncs", user.Token, contentType: "text/plain");
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
    }
}
