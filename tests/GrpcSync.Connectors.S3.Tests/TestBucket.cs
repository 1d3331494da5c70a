using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Connectors.S3.Tests;

/// <summary>
/// A fresh bucket on the shared s3rver, filled through the AWS SDK (setup only: the connector under test talks
/// to s3rver itself), and a connector allowed to reach that s3rver.
/// </summary>
public sealed class TestBucket : IAsyncDisposable
{
    private readonly AmazonS3Client _client;

    private TestBucket(S3rverProcess server, AmazonS3Client client, string name)
    {
        Server = server;
        _client = client;
        Name = name;
        Connector = new S3Connector(new S3ConnectorOptions { AllowedEndpoints = [server.Endpoint.ToString()] });
    }

    public S3rverProcess Server { get; }
    public string Name { get; }
    public S3Connector Connector { get; }

    public static async Task<TestBucket> CreateAsync()
    {
        var server = await S3rverProcess.Shared;
        var client = new AmazonS3Client(new BasicAWSCredentials(S3rverProcess.AccessKeyId, S3rverProcess.SecretAccessKey),
            new AmazonS3Config
            {
                ServiceURL = server.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1",
                // s3rver stores aws-chunked bodies as sent: plain payloads only.
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            });
        var name = "b-" + Guid.NewGuid().ToString("N")[..20];
        await client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        return new TestBucket(server, client, name);
    }

    /// <summary>The credential's stored secret text for s3rver (its default keys unless given).</summary>
    public string Secret(string accessKeyId = S3rverProcess.AccessKeyId, string secretAccessKey = S3rverProcess.SecretAccessKey, string? endpoint = null) =>
        JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["accessKeyId"] = accessKeyId,
            ["secretAccessKey"] = secretAccessKey,
            ["region"] = "us-east-1",
            ["endpoint"] = endpoint ?? Server.Endpoint.ToString(),
        });

    /// <summary>A run's context: this bucket (or <paramref name="bucket"/>) and optional prefix.</summary>
    public SourceContext Context(string? prefix = null, string? secret = null, string? bucket = null)
    {
        var configuration = prefix is null
            ? JsonSerializer.SerializeToElement(new { bucket = bucket ?? Name })
            : JsonSerializer.SerializeToElement(new { bucket = bucket ?? Name, prefix });
        return new SourceContext("files", configuration, secret ?? Secret());
    }

    public Task PutAsync(string key, string content, string? contentType = null) => PutAsync(key, Encoding.UTF8.GetBytes(content), contentType);

    public async Task PutAsync(string key, byte[] content, string? contentType = null)
    {
        using var body = new MemoryStream(content);
        var request = new PutObjectRequest { BucketName = Name, Key = key, InputStream = body, UseChunkEncoding = false };
        if (contentType is not null)
        {
            request.ContentType = contentType;
        }
        await _client.PutObjectAsync(request);
    }

    public Task DeleteAsync(string key) => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Name, Key = key });

    /// <summary>Every record of a full listing, in order.</summary>
    public async Task<List<SourceRecord>> EnumerateAsync(SourceContext? context = null)
    {
        var records = new List<SourceRecord>();
        await foreach (var page in Connector.EnumerateAsync(context ?? Context(), CancellationToken.None))
        {
            records.AddRange(page.Records);
        }
        return records;
    }

    public async ValueTask DisposeAsync()
    {
        Connector.Dispose();
        _client.Dispose();
        await Task.CompletedTask;
    }
}
