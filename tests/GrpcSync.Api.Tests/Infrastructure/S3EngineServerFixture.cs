using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// An <see cref="EngineServerFixture"/> whose S3 allow-list names two real s3rver servers on loopback: the
/// process-wide <see cref="S3"/> and <see cref="OtherS3"/> (a second "account"), each listed exactly, so their
/// private addresses are allowed, and a <see cref="SlowDownProxy"/> in front of <see cref="S3"/> (listed too) that a
/// test can switch to answering 503 SlowDown. Tests make buckets with <see cref="NewBucketAsync"/>.
/// </summary>
public abstract class S3EngineServerFixture(TestStore store) : EngineServerFixture(store)
{
    public S3rverProcess S3 { get; private set; } = null!;
    public S3rverProcess OtherS3 { get; private set; } = null!;

    /// <summary>A proxy to <see cref="S3"/>'s buckets; a test that flips <see cref="SlowDownS3Proxy.SlowDown"/> flips it back.</summary>
    public SlowDownS3Proxy SlowDownProxy { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        S3 = await S3rverProcess.Shared;
        OtherS3 = await S3rverProcess.StartAsync();
        SlowDownProxy = new SlowDownS3Proxy(S3.Endpoint);
        await base.InitializeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["GrpcSync:Connectors:S3:AllowedEndpoints:0"] = S3.Endpoint.ToString();
        settings["GrpcSync:Connectors:S3:AllowedEndpoints:1"] = OtherS3.Endpoint.ToString();
        settings["GrpcSync:Connectors:S3:AllowedEndpoints:2"] = SlowDownProxy.Endpoint.ToString();
    }

    /// <summary>A new bucket on <paramref name="server"/> (default <see cref="S3"/>), named <paramref name="name"/> or uniquely.</summary>
    public async Task<S3TestBucket> NewBucketAsync(S3rverProcess? server = null, string? name = null)
    {
        server ??= S3;
        var client = new AmazonS3Client(new BasicAWSCredentials(S3rverProcess.AccessKeyId, S3rverProcess.SecretAccessKey),
            new AmazonS3Config
            {
                ServiceURL = server.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1",
                // s3rver stores aws-chunked bodies as sent: plain payloads only.
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            });
        name ??= "b-" + Guid.NewGuid().ToString("N")[..20];
        await client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        return new S3TestBucket(server, client, name);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await OtherS3.DisposeAsync();
        await SlowDownProxy.DisposeAsync();
    }
}

/// <summary>A bucket on an s3rver, written through the AWS SDK (test setup only).</summary>
public sealed class S3TestBucket(S3rverProcess server, AmazonS3Client client, string name)
{
    public S3rverProcess Server { get; } = server;
    public string Name { get; } = name;

    public Task PutAsync(string key, string content, string? contentType = null) =>
        PutAsync(key, System.Text.Encoding.UTF8.GetBytes(content), contentType);

    public async Task PutAsync(string key, byte[] content, string? contentType = null)
    {
        using var body = new MemoryStream(content);
        var request = new PutObjectRequest { BucketName = Name, Key = key, InputStream = body, UseChunkEncoding = false };
        if (contentType is not null)
        {
            request.ContentType = contentType;
        }
        await client.PutObjectAsync(request);
    }

    public Task DeleteAsync(string key) => client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Name, Key = key });

    /// <summary>
    /// The REST JSON of the credential's secret object for this server (s3rver's keys unless given), naming
    /// <paramref name="endpoint"/> instead of the server's own when given (a proxy in front of it).
    /// </summary>
    public string SecretJson(string accessKeyId = S3rverProcess.AccessKeyId, Uri? endpoint = null) =>
        $$"""{"accessKeyId":"{{accessKeyId}}","secretAccessKey":"{{S3rverProcess.SecretAccessKey}}","region":"us-east-1","endpoint":"{{endpoint ?? Server.Endpoint}}"}""";
}

/// <summary>The host with the engine and s3rver on a fresh SQLite file.</summary>
public sealed class SqliteS3EngineServer() : S3EngineServerFixture(TestStore.Sqlite);

/// <summary>The host with the engine and s3rver on a fresh PostgreSQL database.</summary>
public sealed class PostgresS3EngineServer() : S3EngineServerFixture(TestStore.Postgres);
