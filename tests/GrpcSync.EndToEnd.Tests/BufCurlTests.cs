using System.Text.Json.Nodes;
using GrpcSync.EndToEnd.Tests.Infrastructure;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>
/// Native gRPC over h2c, driven by `buf curl` with the schema taken from the server's reflection
/// service (no local protos), as a developer would call it.
/// </summary>
public sealed class BufCurlTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string Grpc => fixture.Server.GrpcBaseAddress;

    [Fact]
    public async Task List_methods_through_reflection_includes_UpdateSync()
    {
        var result = await BufCurl.ListMethodsAsync(Grpc);

        Assert.True(result.ExitCode == 0, result.ToString());
        var methods = result.StdOut.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(Methods.UpdateSync, methods);
        Assert.Contains(Methods.EnableSync, methods);
        Assert.Contains(Methods.CreateCredential, methods);
    }

    [Fact]
    public async Task Create_credential_enable_update_and_get_a_sync()
    {
        var token = fixture.NewUserToken();
        var secret = fixture.NewAccount(); // the filesystem connector's secret: the account's directory

        var createCredential = await BufCurl.CallAsync(Grpc, Methods.CreateCredential,
            new JsonObject { ["integration"] = "filesystem", ["displayName"] = "E2E Files", ["secret"] = secret }.ToJsonString(), token);
        Assert.True(createCredential.ExitCode == 0, createCredential.ToString());
        Assert.DoesNotContain(secret, createCredential.StdOut, StringComparison.Ordinal); // write-only
        var credential = BufCurl.ParseObject(createCredential);
        var credentialId = credential.Str("id");
        Assert.True(Guid.TryParse(credentialId, out _), credential.ToJsonString());
        Assert.Equal("filesystem", credential.Str("integration"));
        Assert.Equal(TestSigningKey.ProjectId, credential.Str("projectId"));

        var sync = await BufCurl.CallOkAsync(Grpc, Methods.EnableSync, new JsonObject
        {
            ["integration"] = "filesystem",
            ["pipeline"] = "files",
            ["credentialId"] = credentialId,
            ["configuration"] = new JsonObject { ["folder"] = "root" },
        }.ToJsonString(), token);
        var syncId = sync.Str("id");
        Assert.True(Guid.TryParse(syncId, out _), sync.ToJsonString());
        Assert.Equal(credentialId, sync.Str("credentialId"));
        Assert.Equal("files", sync.Str("pipeline"));
        Assert.False(sync.ContainsKey("incrementalAccumulatorFrequency"), $"Not set explicitly, so absent: {sync.ToJsonString()}");

        var update = await BufCurl.CallOkAsync(Grpc, Methods.UpdateSync,
            new JsonObject { ["syncId"] = syncId, ["incrementalAccumulatorFrequency"] = "1h" }.ToJsonString(), token);
        Assert.Equal(syncId, update.Str("id"));
        Assert.Equal(Methods.UpdateAcceptedMessage, update.Str("message"));
        var data = Assert.IsType<JsonObject>(update["data"]);
        Assert.Equal(["incrementalAccumulatorFrequency"], data.Keys());
        Assert.Equal("1h", data.Str("incrementalAccumulatorFrequency"));

        var got = await BufCurl.CallOkAsync(Grpc, Methods.GetSync, new JsonObject { ["syncId"] = syncId }.ToJsonString(), token);
        Assert.Equal(syncId, got.Str("id"));
        Assert.Equal("1h", got.Str("incrementalAccumulatorFrequency"));
        Assert.Equal(credentialId, got.Str("credentialId"));
    }

    [Fact]
    public async Task UpdateSync_with_an_unsupported_frequency_fails_with_invalid_argument()
    {
        var token = fixture.NewUserToken();
        var syncId = await EnableSyncAsync(token);

        var result = await BufCurl.CallAsync(Grpc, Methods.UpdateSync,
            new JsonObject { ["syncId"] = syncId, ["incrementalAccumulatorFrequency"] = "2m" }.ToJsonString(), token);

        Assert.True(result.ExitCode != 0, result.ToString());
        var output = result.StdOut + result.StdErr;
        Assert.True(output.Contains("invalid_argument", StringComparison.Ordinal), result.ToString());
        Assert.True(output.Contains("incrementalAccumulatorFrequency", StringComparison.Ordinal), result.ToString());

        var got = await BufCurl.CallOkAsync(Grpc, Methods.GetSync, new JsonObject { ["syncId"] = syncId }.ToJsonString(), token);
        Assert.False(got.ContainsKey("incrementalAccumulatorFrequency"), $"The rejected update must not change the Sync: {got.ToJsonString()}");
    }

    [Fact]
    public async Task An_enabled_sync_reaches_idle_and_lists_its_files()
    {
        var token = fixture.NewUserToken();
        var syncId = await EnableSyncAsync(token);

        // The engine runs in the server: poll (the default poll interval is 1 s) until the INITIAL run is done.
        var idle = await Poll.UntilAsync(
            () => BufCurl.CallOkAsync(Grpc, Methods.GetSync, new JsonObject { ["syncId"] = syncId }.ToJsonString(), token),
            sync => sync.Str("status") == "SYNC_STATUS_IDLE" && sync["summary"]?["lastSyncedAt"] is not null,
            sync => sync.Str("status") == "SYNC_STATUS_ERRORED",
            $"Sync {syncId} to become IDLE", () => fixture.Server.Output);
        Assert.Equal(TestEnvironment.AccountRecordIds.Length, idle["summary"]!.AsObject().Int64("totalRecords"));

        var page = await BufCurl.CallOkAsync(Grpc, Methods.ListSyncedRecords,
            new JsonObject { ["syncId"] = syncId, ["pageSize"] = 100 }.ToJsonString(), token);

        var records = page["data"]!.AsArray().Select(r => r!.AsObject()).ToArray();
        Assert.Equal(TestEnvironment.AccountRecordIds, records.Select(r => r.Str("externalId")).Order(StringComparer.Ordinal).ToArray());
        var report = records.Single(r => r.Str("externalId") == "root/report.csv");
        Assert.Equal("report.csv", report.Str("name"));
        Assert.Equal("text/csv", report.Str("mimeType"));
        Assert.Equal("root", report.Str("parentFolderId"));
        Assert.Equal(false, (bool?)report["deleted"]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("a,b\n1,2\n"u8)), report["hash"]?["sha256"]?.GetValue<string>());
        var paging = Assert.IsType<JsonObject>(page["paging"]);
        Assert.Equal(TestEnvironment.AccountRecordIds.Length, paging.Int64("totalRecords"));
        Assert.Equal(TestEnvironment.AccountRecordIds.Length, paging.Int64("totalActiveRecords"));
        Assert.False(string.IsNullOrEmpty(paging.Str("cursor")), paging.ToJsonString());

        // The content comes back as google.api.HttpBody: the bytes (base64 in JSON) and the content type.
        var content = await BufCurl.CallOkAsync(Grpc, Methods.GetSyncedRecordContent,
            new JsonObject { ["syncId"] = syncId, ["recordId"] = report.Str("id") }.ToJsonString(), token);
        Assert.Equal("text/csv", content.Str("contentType"));
        Assert.Equal("a,b\n1,2\n"u8.ToArray(), Convert.FromBase64String(content.Str("data")));
    }

    [Fact]
    public async Task Calls_without_a_valid_token_are_unauthenticated()
    {
        var withoutToken = await BufCurl.CallAsync(Grpc, Methods.ListSyncs, "{}");
        Assert.True(withoutToken.ExitCode != 0, withoutToken.ToString());
        Assert.True((withoutToken.StdOut + withoutToken.StdErr).Contains("unauthenticated", StringComparison.Ordinal), withoutToken.ToString());

        using var otherKey = new TestSigningKey();
        var foreignToken = otherKey.CreateToken("intruder");
        var withForeignToken = await BufCurl.CallAsync(Grpc, Methods.ListSyncs, "{}", foreignToken);
        Assert.True(withForeignToken.ExitCode != 0, withForeignToken.ToString());
        Assert.True((withForeignToken.StdOut + withForeignToken.StdErr).Contains("unauthenticated", StringComparison.Ordinal), withForeignToken.ToString());
    }

    [Fact]
    public async Task Grpc_health_service_answers_serving_without_a_token()
    {
        var result = await BufCurl.CallAsync(Grpc, Methods.HealthCheck, "{}");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("SERVING", BufCurl.ParseObject(result).Str("status"));
    }

    private async Task<string> EnableSyncAsync(string token)
    {
        var credential = await BufCurl.CallOkAsync(Grpc, Methods.CreateCredential,
            new JsonObject { ["integration"] = "filesystem", ["displayName"] = "E2E Files", ["secret"] = fixture.NewAccount() }.ToJsonString(), token);
        var sync = await BufCurl.CallOkAsync(Grpc, Methods.EnableSync, new JsonObject
        {
            ["integration"] = "filesystem",
            ["pipeline"] = "files",
            ["credentialId"] = credential.Str("id"),
        }.ToJsonString(), token);
        return sync.Str("id");
    }
}
