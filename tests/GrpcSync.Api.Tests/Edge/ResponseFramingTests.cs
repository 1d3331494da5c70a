using System.Net;
using System.Text.Json;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Edge;

/// <summary>
/// A unary method's REST answer is held and leaves in one write with its Content-Length (no chunked framing on
/// HTTP/1.1), over HTTP/1.1 and h2c alike; an answer larger than what is held still arrives whole and unchanged.
/// </summary>
public abstract class ResponseFramingTests(EdgeServerFixture server)
{
    public sealed class OnSqlite(SqliteEdgeServer server) : ResponseFramingTests(server), IClassFixture<SqliteEdgeServer>;

    public sealed class OnPostgres(PostgresEdgeServer server) : ResponseFramingTests(server), IClassFixture<PostgresEdgeServer>;

    public static TheoryData<string> Versions => new() { "1.1", "2.0" };

    private HttpClient ClientFor(string version) => version == "2.0" ? server.Http2 : server.Http;

    private async Task<(HttpResponseMessage Response, byte[] Body)> Get(string version, string path, TestUser user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Version = Version.Parse(version), VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", user.Token);
        var response = await ClientFor(version).SendAsync(request);
        return (response, await response.Content.ReadAsByteArrayAsync());
    }

    [Theory, MemberData(nameof(Versions))]
    public async Task GetSync_AnswersWithContentLength_AndNoChunkedFraming(string version)
    {
        var user = server.NewUser();
        var sync = await user.NewSync();

        var (response, body) = await Get(version, $"/api/syncs/{sync.Id}", user);

        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(body.Length, response.Content.Headers.ContentLength);
            Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
            Assert.Equal(sync.Id, JsonDocument.Parse(body).RootElement.GetProperty("id").GetString());
        }
        server.Logs.AssertNoErrors();
    }

    [Theory, MemberData(nameof(Versions))]
    public async Task AnAnswerLargerThanTheHeldLimit_ArrivesWholeAndTheSameAsOverGrpc(string version)
    {
        var user = server.NewUser();
        var credential = await user.NewCredential();
        var ids = new List<string>();
        for (var i = 0; i < 160; i++) // ~500 bytes of JSON each: past the 64 KiB held
        {
            ids.Add((await user.NewSync(credential.Id, configurationName: $"framing-{i}")).Id);
        }

        var (response, body) = await Get(version, "/api/syncs", user);

        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(body.Length > 64 * 1024, $"the answer is {body.Length} bytes: the test needs one past the held limit");
            var listed = RestJson.ParseMessage<ListSyncsResponse>(System.Text.Encoding.UTF8.GetString(body));
            var overGrpc = (await user.ListSyncs(Transport.Grpc)).Ok();
            Assert.Equal(overGrpc, listed);
            Assert.Equal(ids.Order(), listed.Data.Select(s => s.Id).Order());
        }
        server.Logs.AssertNoErrors();
    }
}
