using System.Text.Json;
using Microsoft.Extensions.Options;

namespace GrpcSync.Connectors.S3;

/// <summary>
/// The <c>s3</c> integration: objects of one bucket of AWS S3 or any S3-compatible store (MinIO, Cloudflare R2,
/// Backblaze B2, Wasabi, Ceph RGW, ...) as the <c>files</c> pipeline's records.
/// <list type="bullet">
/// <item>A credential is <c>{"accessKeyId","secretAccessKey","region","endpoint"?,"verifyBucket"?}</c> (see
/// <see cref="S3Credentials"/>); its endpoint must be in the operator's allow-list (<see cref="S3Endpoints"/>),
/// checked at creation, at each run and, after DNS resolution, at connect time.</item>
/// <item>A Sync's configuration is <c>{"bucket":"…","prefix":"…"?}</c>.</item>
/// <item>Record ids are the object keys; folders are records too, their ids the key prefixes with a trailing '/'.</item>
/// <item>ListObjectsV2 has no Content-Type or checksum: new and changed objects get one HeadObject each for them
/// (<see cref="S3ConnectorOptions.ReadObjectMetadata"/>); unchanged ones, whose record the engine holds, none.</item>
/// <item>S3 has no change feed: an INCREMENTAL run lists the prefix like a FULL one and the engine writes only
/// records whose fingerprint (ETag, size, LastModified) changed; deletions wait for the next FULL run.</item>
/// </list>
/// </summary>
// This file is the IConnector surface; each concern has its part (S3Connector.Listing, .Records, .Metadata,
// .Download, .Client, .Errors; S3Credentials, S3Configuration, S3Endpoints), mirrored by the test files.
public sealed partial class S3Connector : IConnector, ICredentialChecks, IDisposable
{
    public const string IntegrationName = "s3";
    public const string FilesPipeline = "files";

    /// <summary>Most keys per ListObjectsV2 page (S3's own maximum), so one source page per request.</summary>
    public const int PageSize = 1000;

    private readonly S3Endpoints _endpoints;
    private readonly TimeSpan _requestTimeout;
    private readonly bool _readObjectMetadata;
    private readonly int _metadataConcurrency;
    private readonly GuardedHttpClientFactory _publicOnlyHttp;
    private readonly GuardedHttpClientFactory _privateAllowedHttp;

    public S3Connector(IOptions<S3ConnectorOptions> options)
        : this(options.Value)
    {
    }

    public S3Connector(S3ConnectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _endpoints = new S3Endpoints(options.AllowedEndpoints ?? []);
        _requestTimeout = options.RequestTimeout > TimeSpan.Zero ? options.RequestTimeout : TimeSpan.FromSeconds(60);
        _readObjectMetadata = options.ReadObjectMetadata;
        _metadataConcurrency = options.MetadataConcurrency > 0 ? options.MetadataConcurrency : S3ConnectorOptions.DefaultMetadataConcurrency;
        _publicOnlyHttp = new GuardedHttpClientFactory(privateAddressesAllowed: false, _requestTimeout);
        _privateAllowedHttp = new GuardedHttpClientFactory(privateAddressesAllowed: true, _requestTimeout);
    }

    public string Integration => IntegrationName;

    public IReadOnlyCollection<string> Pipelines { get; } = [FilesPipeline];

    /// <summary>Requires <c>{"bucket":"…"}</c> with an optional string <c>prefix</c>; no other keys. Does not touch the source.</summary>
    public IReadOnlyList<ConfigurationProblem> ValidateConfiguration(string pipeline, JsonElement configuration)
    {
        return SinglePipeline.Validate(IntegrationName, FilesPipeline, pipeline, S3Configuration.Parse(configuration, out _));
    }

    /// <summary>Every object and folder under the prefix (INITIAL and FULL runs; the engine reconciles what is gone).</summary>
    public IAsyncEnumerable<SourcePage> EnumerateAsync(SourceContext context, CancellationToken ct) => ListAsync(context, ct);

    /// <summary>
    /// The same listing as <see cref="EnumerateAsync"/>, since S3 cannot list by modification time; the cursor is
    /// ignored and none is returned. The engine compares fingerprints and writes only what changed, so a run costs
    /// one ListObjectsV2 request per 1,000 objects and no writes for unchanged ones.
    /// </summary>
    public IAsyncEnumerable<SourcePage> ChangesSinceAsync(SourceContext context, string? cursor, CancellationToken ct) => ListAsync(context, ct);

    /// <summary>
    /// The object's bytes, streamed from GetObject (nothing buffered here); a range goes to GetObject's Range.
    /// Failures: NOT_FOUND (gone, or a folder), FORBIDDEN (outside the prefix), RangeNotSatisfiableException
    /// (S3's InvalidRange), or the listing's errors.
    /// </summary>
    public Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, CancellationToken ct) =>
        DownloadObjectAsync(context, externalId, range, ct);

    /// <summary>The credential's shape (<see cref="S3Credentials"/>) and its endpoint against the allow-list.</summary>
    public IReadOnlyList<ConfigurationProblem> ValidateSecret(JsonElement secret)
    {
        var problems = S3Credentials.Parse(secret, out var credentials);
        if (credentials is not null && !_endpoints.Check(credentials.Endpoint).Allowed)
        {
            problems.Add(new ConfigurationProblem(credentials.CustomEndpoint ? "secret.endpoint" : "secret.region",
                $"names endpoint {credentials.Endpoint.GetLeftPart(UriPartial.Authority)}, which is not in GrpcSync:Connectors:S3:AllowedEndpoints on this server."));
        }
        return problems;
    }

    /// <summary>
    /// One cheap call: ListObjectsV2 with max-keys 1 on <c>verifyBucket</c> when the credential names one (keys
    /// scoped to buckets often may not ListBuckets), else ListBuckets.
    /// </summary>
    public async Task VerifyAsync(string secret, CancellationToken ct)
    {
        var credentials = S3Credentials.FromStored(secret);
        using var client = CreateClient(credentials);
        try
        {
            if (credentials.VerifyBucket is { } bucket)
            {
                await client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, ct).ConfigureAwait(false);
            }
            else
            {
                await client.ListBucketsAsync(new Amazon.S3.Model.ListBucketsRequest(), ct).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (error is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw Translate(error, credentials.VerifyBucket ?? "(any)");
        }
    }

    public void Dispose()
    {
        _publicOnlyHttp.Dispose();
        _privateAllowedHttp.Dispose();
    }

    private (S3Configuration Configuration, S3Credentials Credentials) ResolveScope(SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        SinglePipeline.Require(IntegrationName, FilesPipeline, context.Pipeline);
        var problems = S3Configuration.Parse(context.Configuration, out var configuration);
        if (configuration is null)
        {
            throw new PermanentSourceException("INVALID_CONFIGURATION", $"{problems[0].Field} {problems[0].Description}");
        }
        return (configuration, S3Credentials.FromStored(context.Secret));
    }
}
