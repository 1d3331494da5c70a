using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using GrpcSync.Connectors.GoogleDrive.Tests;
using GrpcSync.EndToEnd.Tests.Infrastructure;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>The real server process with its Google Drive connector pointed at the Drive/OAuth double of this test process.</summary>
public sealed class DriveServerFixture : IAsyncLifetime
{
    private readonly TestEnvironment _environment = new();
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");
    public DriveDouble Drive { get; private set; } = null!;

    public string NewUserToken() => _environment.Key.CreateToken($"user-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        Drive = await DriveDouble.StartAsync();
        _server = await _environment.StartServerAsync(new Dictionary<string, string>
        {
            ["GrpcSync__Connectors__GoogleDrive__ClientId"] = DriveDouble.ClientId,
            ["GrpcSync__Connectors__GoogleDrive__ClientSecret"] = DriveDouble.ClientSecret,
            ["GrpcSync__Connectors__GoogleDrive__TokenEndpoint"] = Drive.TokenEndpoint.ToString(),
            ["GrpcSync__Connectors__GoogleDrive__ApiBaseUrl"] = Drive.BaseUrl.ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        await Drive.DisposeAsync();
        _environment.Dispose();
    }
}

/// <summary>
/// A googledrive Sync through the real process over REST: create credential (verified), enable, initial sync, a change
/// and a removal in the feed, an incremental run with the tombstone, content and export, a revoked grant → ERRORED →
/// PATCH with a new credential → FULL reconcile → IDLE.
/// </summary>
public sealed class GoogleDriveTests(DriveServerFixture fixture) : IClassFixture<DriveServerFixture>
{
    [Fact]
    public async Task A_drive_is_synced_followed_through_its_changes_feed_and_recovers_from_a_revoked_grant()
    {
        var drive = fixture.Drive;
        drive.Put("fileA", "a.txt", content: "alpha");
        drive.Put("fileB", "b.txt", content: "bravo");
        drive.Put("docC", "Plan", "application/vnd.google-apps.document");
        var token = fixture.NewUserToken();
        using var http = new HttpClient { BaseAddress = fixture.Server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var refresh = drive.IssueRefreshToken();

        var credential = await Rest.OkAsync(http, HttpMethod.Post, "api/credentials", token, new JsonObject
        {
            ["integration"] = "googledrive", ["displayName"] = "Work Drive", ["verify"] = true,
            ["secret"] = new JsonObject { ["refreshToken"] = refresh },
        });
        var sync = await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, new JsonObject
        {
            ["integration"] = "googledrive", ["pipeline"] = "files", ["credentialId"] = credential.Str("id"), ["configuration"] = new JsonObject(),
        });
        var syncId = sync.Str("id");
        await UntilAsync(http, token, syncId, s => s.Str("status") == "IDLE" && s["summary"]?["lastSyncedAt"] is not null, "the initial sync");
        var records = await RecordsAsync(http, token, syncId);
        Assert.Equal(["docC", "fileA", "fileB"], records.Keys.Order(StringComparer.Ordinal));

        // A change and a removal in the feed; an incremental run tombstones fileA at once.
        drive.Change("fileB", f => f.Content = "bravo, edited"u8.ToArray());
        drive.Delete("fileA");
        await Rest.OkAsync(http, HttpMethod.Post, $"api/syncs/{syncId}/trigger", token, new JsonObject());
        await Poll.UntilAsync(() => RecordsAsync(http, token, syncId), r => r["fileA"]["deleted"]?.GetValue<bool>() == true && (long?)r["fileB"]["size"] == 13,
            _ => false, "the removal to be tombstoned", () => fixture.Server.Output);

        // Content: a file streamed, a Doc exported (PDF by default, docx asked), a format the Doc cannot take is 400.
        records = await RecordsAsync(http, token, syncId);
        Assert.Equal("bravo, edited", await ContentAsync(http, token, syncId, records["fileB"].Str("id"), null, HttpStatusCode.OK, "text/plain"));
        Assert.Equal("EXPORT application/pdf OF Plan", await ContentAsync(http, token, syncId, records["docC"].Str("id"), null, HttpStatusCode.OK, "application/pdf"));
        Assert.Contains("wordprocessingml", await ContentAsync(http, token, syncId, records["docC"].Str("id"), "docx", HttpStatusCode.OK,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), StringComparison.Ordinal);
        Assert.Contains("FORMAT_UNSUPPORTED", await ContentAsync(http, token, syncId, records["docC"].Str("id"), "xlsx", HttpStatusCode.BadRequest, null),
            StringComparison.Ordinal);

        // The user revokes access: the next refresh gets invalid_grant and the Sync stops with Paragon's reason.
        drive.Revoke(refresh);
        drive.ExpireAccessTokens();
        await Rest.OkAsync(http, HttpMethod.Post, $"api/syncs/{syncId}/trigger", token, new JsonObject());
        var errored = await UntilAsync(http, token, syncId, s => s.Str("status") == "ERRORED", "the Sync to stop on the revoked grant");
        Assert.StartsWith("Credentials are no longer valid. Please re-authenticate", errored.Str("reason"), StringComparison.Ordinal);

        // Re-authenticated: a new credential bound with PATCH resumes the Sync through one FULL reconcile.
        drive.Put("fileD", "d.txt", content: "delta");
        var fresh = await Rest.OkAsync(http, HttpMethod.Post, "api/credentials", token, new JsonObject
        {
            ["integration"] = "googledrive", ["displayName"] = "Work Drive (again)",
            ["secret"] = new JsonObject { ["refreshToken"] = drive.IssueRefreshToken() },
        });
        await Rest.OkAsync(http, HttpMethod.Patch, $"api/syncs/{syncId}", token, new JsonObject { ["credentialId"] = fresh.Str("id") });
        await UntilAsync(http, token, syncId, s => s.Str("status") == "IDLE" && s.Str("credentialId") == fresh.Str("id")
            && s["pendingRun"] is null && s["runningRun"] is null, "the FULL reconcile with the new credential");
        records = await RecordsAsync(http, token, syncId);
        Assert.Equal(["docC", "fileB", "fileD"], records.Where(r => r.Value["deleted"]?.GetValue<bool>() != true).Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(refresh, fixture.Server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(DriveDouble.ClientSecret, fixture.Server.Output, StringComparison.Ordinal);
    }

    private async Task<JsonObject> UntilAsync(HttpClient http, string token, string syncId, Func<JsonObject, bool> done, string what) =>
        await Poll.UntilAsync(() => Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token), done,
            s => what != "the Sync to stop on the revoked grant" && s.Str("status") == "ERRORED", what, () => fixture.Server.Output);

    private static async Task<Dictionary<string, JsonObject>> RecordsAsync(HttpClient http, string token, string syncId)
    {
        var page = await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}/records?pageSize=100", token);
        return page["data"]!.AsArray().Select(r => r!.AsObject()).ToDictionary(r => r.Str("externalId"));
    }

    private static async Task<string> ContentAsync(HttpClient http, string token, string syncId, string recordId, string? format,
        HttpStatusCode expected, string? contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"api/syncs/{syncId}/records/{recordId}/content{(format is null ? "" : "?format=" + format)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        if (contentType is not null)
        {
            Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        }
        return body;
    }
}
