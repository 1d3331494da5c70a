using System.Net;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using GrpcSync.EndToEnd.Tests.Infrastructure;
using GrpcSync.Testing.Processes;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>The real server process, its S3 allow-list naming a real s3rver on loopback.</summary>
public sealed class S3ServerFixture : IAsyncLifetime
{
    private readonly TestEnvironment _environment = new();
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");
    public S3rverProcess S3 { get; private set; } = null!;

    public string NewUserToken() => _environment.Key.CreateToken($"user-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        S3 = await S3rverProcess.Shared;
        _server = await _environment.StartServerAsync(new Dictionary<string, string>
        {
            ["GrpcSync__Connectors__S3__AllowedEndpoints__0"] = S3.Endpoint.ToString(),
        });
    }

    /// <summary>A new bucket holding <paramref name="objects"/> (key → text), written through the AWS SDK.</summary>
    public async Task<string> NewBucketAsync(IReadOnlyDictionary<string, string> objects)
    {
        using var client = new AmazonS3Client(new BasicAWSCredentials(S3rverProcess.AccessKeyId, S3rverProcess.SecretAccessKey),
            new AmazonS3Config
            {
                ServiceURL = S3.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1",
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, // s3rver stores aws-chunked bodies as sent
            });
        var name = "e2e-" + Guid.NewGuid().ToString("N")[..20];
        await client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        foreach (var (key, text) in objects)
        {
            await client.PutObjectAsync(new PutObjectRequest { BucketName = name, Key = key, ContentBody = text, UseChunkEncoding = false });
        }
        return name;
    }

    public JsonObject Secret(string accessKeyId = S3rverProcess.AccessKeyId) => new()
    {
        ["accessKeyId"] = accessKeyId,
        ["secretAccessKey"] = S3rverProcess.SecretAccessKey,
        ["region"] = "us-east-1",
        ["endpoint"] = S3.Endpoint.ToString(),
    };

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _environment.Dispose();
    }
}

/// <summary>An s3 Sync through the real process: `buf curl` over native gRPC and JSON over REST, as a developer would call it.</summary>
public sealed class S3Tests(S3ServerFixture fixture) : IClassFixture<S3ServerFixture>
{
    private string Grpc => fixture.Server.GrpcBaseAddress;

    [Fact]
    public async Task A_bucket_is_synced_listed_and_its_content_read_with_buf_curl()
    {
        var token = fixture.NewUserToken();
        var bucket = await fixture.NewBucketAsync(new Dictionary<string, string>
        {
            ["readme.txt"] = "hello\n",
            ["reports/q1.csv"] = "a,b\n1,2\n",
        });

        var credential = await BufCurl.CallOkAsync(Grpc, Methods.CreateCredential, new JsonObject
        {
            ["integration"] = "s3", ["displayName"] = "E2E bucket", ["secret"] = fixture.Secret(), ["verify"] = true,
        }.ToJsonString(), token);
        var sync = await BufCurl.CallOkAsync(Grpc, Methods.EnableSync, new JsonObject
        {
            ["integration"] = "s3", ["pipeline"] = "files", ["credentialId"] = credential.Str("id"),
            ["configuration"] = new JsonObject { ["bucket"] = bucket },
        }.ToJsonString(), token);
        var syncId = sync.Str("id");

        await Poll.UntilAsync(
            () => BufCurl.CallOkAsync(Grpc, Methods.GetSync, new JsonObject { ["syncId"] = syncId }.ToJsonString(), token),
            s => s.Str("status") == "SYNC_STATUS_IDLE" && s["summary"]?["lastSyncedAt"] is not null,
            s => s.Str("status") == "SYNC_STATUS_ERRORED",
            $"Sync {syncId} to become IDLE", () => fixture.Server.Output);
        var page = await BufCurl.CallOkAsync(Grpc, Methods.ListSyncedRecords, new JsonObject { ["syncId"] = syncId, ["pageSize"] = 100 }.ToJsonString(), token);
        var records = page["data"]!.AsArray().Select(r => r!.AsObject()).ToArray();

        Assert.Equal(["readme.txt", "reports/", "reports/q1.csv"], records.Select(r => r.Str("externalId")).Order(StringComparer.Ordinal).ToArray());
        var report = records.Single(r => r.Str("externalId") == "reports/q1.csv");
        Assert.Equal("reports/", report.Str("parentFolderId"));
        Assert.Equal("text/csv", report.Str("mimeType"));
        var content = await BufCurl.CallOkAsync(Grpc, Methods.GetSyncedRecordContent,
            new JsonObject { ["syncId"] = syncId, ["recordId"] = report.Str("id") }.ToJsonString(), token);
        Assert.Equal("a,b\n1,2\n"u8.ToArray(), Convert.FromBase64String(content.Str("data")));
    }

    [Fact]
    public async Task A_rest_credential_with_missing_fields_is_400_naming_them()
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var secret = fixture.Secret();
        secret.Remove("region");
        secret["accessKeyId"] = 12;

        var response = await Rest.SendAsync(http, HttpMethod.Post, "api/credentials", fixture.NewUserToken(),
            new JsonObject { ["integration"] = "s3", ["displayName"] = "x", ["secret"] = secret });

        Assert.True(response.Status == HttpStatusCode.BadRequest, response.ToString());
        Assert.Contains("secret.region", response.Body, StringComparison.Ordinal);
        Assert.Contains("secret.accessKeyId", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(S3rverProcess.SecretAccessKey, response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_verified_credential_with_an_unknown_key_is_refused_with_credential_rejected()
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var response = await Rest.SendAsync(http, HttpMethod.Post, "api/credentials", fixture.NewUserToken(),
            new JsonObject { ["integration"] = "s3", ["displayName"] = "x", ["secret"] = fixture.Secret("NOT-A-KEY"), ["verify"] = true });

        Assert.True(response.Status == HttpStatusCode.BadRequest, response.ToString());
        Assert.Contains("CREDENTIAL_REJECTED", response.Body, StringComparison.Ordinal);
    }
}
