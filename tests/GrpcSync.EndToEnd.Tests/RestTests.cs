using System.Net;
using System.Text.Json.Nodes;
using GrpcSync.EndToEnd.Tests.Infrastructure;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>The same contract as JSON/REST (gRPC JSON transcoding) on the HTTP/1.1 port.</summary>
public sealed class RestTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Healthz_answers_200()
    {
        using var http = fixture.CreateRestClient();

        var response = await Rest.SendAsync(http, HttpMethod.Get, "healthz", token: null);

        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        Assert.Equal("Healthy", response.Body);
    }

    [Fact]
    public async Task OpenApi_document_is_served_and_describes_the_sync_routes()
    {
        using var http = fixture.CreateRestClient();

        var response = await Rest.SendAsync(http, HttpMethod.Get, "swagger/v1/swagger.json", token: null);

        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        var paths = Assert.IsType<JsonObject>(response.JsonObject["paths"]);
        Assert.True(paths.ContainsKey("/api/syncs"), string.Join(", ", paths.Keys()));
        Assert.True(paths.ContainsKey("/api/credentials"), string.Join(", ", paths.Keys()));
        Assert.Contains(paths, p => p.Key.StartsWith("/api/syncs/{", StringComparison.Ordinal) && p.Value is JsonObject route && route.ContainsKey("patch"));
    }

    [Fact]
    public async Task Create_credential_enable_patch_and_get_a_sync()
    {
        using var http = fixture.CreateRestClient();
        var token = fixture.NewUserToken();
        var secret = fixture.NewAccount(); // the filesystem connector's secret: the account's directory

        var credentialResponse = await Rest.SendAsync(http, HttpMethod.Post, "api/credentials", token,
            new JsonObject { ["integration"] = "filesystem", ["displayName"] = "E2E Files", ["secret"] = secret });
        Assert.True(credentialResponse.Status == HttpStatusCode.OK, credentialResponse.ToString());
        Assert.DoesNotContain(secret, credentialResponse.Body, StringComparison.Ordinal); // write-only
        var credentialId = credentialResponse.JsonObject.Str("id");

        var sync = await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, new JsonObject
        {
            ["integration"] = "filesystem",
            ["pipeline"] = "files",
            ["credentialId"] = credentialId,
            ["configuration"] = new JsonObject(),
        });
        var syncId = sync.Str("id");
        Assert.Equal(credentialId, sync.Str("credentialId"));
        var status = sync.Str("status");
        Assert.True(status.Length > 0 && !status.StartsWith("SYNC_STATUS_", StringComparison.Ordinal), $"Short enum names expected: {sync.ToJsonString()}");

        var patch = await Rest.SendAsync(http, HttpMethod.Patch, $"api/syncs/{syncId}", token,
            new JsonObject { ["incrementalAccumulatorFrequency"] = "1h" });
        Assert.True(patch.Status == HttpStatusCode.OK, patch.ToString());
        var expected = new JsonObject
        {
            ["id"] = syncId,
            ["data"] = new JsonObject { ["incrementalAccumulatorFrequency"] = "1h" },
            ["message"] = Methods.UpdateAcceptedMessage,
        };
        Assert.True(JsonNode.DeepEquals(expected, patch.Json), $"Expected exactly {expected.ToJsonString()}{Environment.NewLine}{patch}");

        var got = await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token);
        Assert.Equal(syncId, got.Str("id"));
        Assert.Equal("1h", got.Str("incrementalAccumulatorFrequency"));
    }

    [Fact]
    public async Task Bad_requests_map_to_http_errors_with_a_status_body()
    {
        using var http = fixture.CreateRestClient();
        var token = fixture.NewUserToken();
        var syncId = await EnableSyncAsync(http, token);

        var badFrequency = await Rest.SendAsync(http, HttpMethod.Patch, $"api/syncs/{syncId}", token,
            new JsonObject { ["incrementalAccumulatorFrequency"] = "2m" });
        Assert.True(badFrequency.Status == HttpStatusCode.BadRequest, badFrequency.ToString());
        Assert.Equal(3, (int?)badFrequency.JsonObject["code"]); // INVALID_ARGUMENT
        Assert.Contains("incrementalAccumulatorFrequency", badFrequency.Body, StringComparison.Ordinal);

        var unknownField = await Rest.SendAsync(http, HttpMethod.Patch, $"api/syncs/{syncId}", token,
            new JsonObject { ["incrementalAccumulatorFrequncy"] = "1h" });
        Assert.True(unknownField.Status == HttpStatusCode.BadRequest, unknownField.ToString());
        Assert.Contains("incrementalAccumulatorFrequncy", unknownField.Body, StringComparison.Ordinal);

        var withoutToken = await Rest.SendAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token: null);
        Assert.True(withoutToken.Status == HttpStatusCode.Unauthorized, withoutToken.ToString());
        Assert.Equal(16, (int?)withoutToken.JsonObject["code"]); // UNAUTHENTICATED

        var otherUser = await Rest.SendAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", fixture.NewUserToken());
        Assert.True(otherUser.Status == HttpStatusCode.NotFound, otherUser.ToString());

        var unchanged = await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token);
        Assert.False(unchanged.ContainsKey("incrementalAccumulatorFrequency"), unchanged.ToJsonString());
    }

    [Fact]
    public async Task A_sync_changed_over_rest_reads_the_same_over_native_grpc()
    {
        using var http = fixture.CreateRestClient();
        var token = fixture.NewUserToken();
        var syncId = await EnableSyncAsync(http, token);
        await Rest.OkAsync(http, HttpMethod.Patch, $"api/syncs/{syncId}", token, new JsonObject { ["incrementalAccumulatorFrequency"] = "6h" });

        var overGrpc = await BufCurl.CallOkAsync(fixture.Server.GrpcBaseAddress, Methods.GetSync,
            new JsonObject { ["syncId"] = syncId }.ToJsonString(), token);

        Assert.Equal(syncId, overGrpc.Str("id"));
        Assert.Equal("6h", overGrpc.Str("incrementalAccumulatorFrequency"));
    }

    private async Task<string> EnableSyncAsync(HttpClient http, string token)
    {
        var credential = await Rest.OkAsync(http, HttpMethod.Post, "api/credentials", token,
            new JsonObject { ["integration"] = "filesystem", ["displayName"] = "E2E Files", ["secret"] = fixture.NewAccount() });
        var sync = await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, new JsonObject
        {
            ["integration"] = "filesystem",
            ["pipeline"] = "files",
            ["credentialId"] = credential.Str("id"),
        });
        return sync.Str("id");
    }
}
