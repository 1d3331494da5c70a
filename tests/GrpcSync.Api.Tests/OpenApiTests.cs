using System.Text.Json;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests;

public abstract class OpenApiTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : OpenApiTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : OpenApiTests(server), IClassFixture<PostgresServer>;

    [Fact]
    public async Task SwaggerJson_NeedsNoToken_AndDescribesTheRestRoutes()
    {
        var response = await Server.Rest(HttpMethod.Get, "/swagger/v1/swagger.json");

        Assert.Equal(200, response.Status);
        // Path parameters use the JSON (camelCase) names, as in the Paragon reference: /api/syncs/{syncId}.
        var paths = response.Body.GetProperty("paths");
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/syncs/{syncId}").GetProperty("patch").ValueKind);
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/syncs/{syncId}").GetProperty("get").ValueKind);
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/syncs/{syncId}").GetProperty("delete").ValueKind);
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/syncs").GetProperty("post").ValueKind);
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/syncs/{syncId}/runs").GetProperty("get").ValueKind);
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/syncs/{syncId}/events").GetProperty("get").ValueKind);
        // The streams are listed too, so the REST fuzz storm reaches them.
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/syncs/{syncId}/events/watch").GetProperty("get").ValueKind);
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/events/watch").GetProperty("get").ValueKind);
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/credentials").GetProperty("post").ValueKind);
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/credentials").GetProperty("get").ValueKind);
    }
}
