namespace GrpcSync.Connectors.S3;

/// <summary>Operator settings of the S3 connector (configuration section <c>GrpcSync:Connectors:S3</c>).</summary>
public sealed class S3ConnectorOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "GrpcSync:Connectors:S3";

    /// <summary>The allow-list when the operator sets none: AWS's global and regional S3 endpoints over HTTPS.</summary>
    public static readonly IReadOnlyList<string> DefaultAllowedEndpoints = ["https://s3.amazonaws.com", "https://s3.*.amazonaws.com"];

    /// <summary>
    /// Endpoints a credential may name (see <see cref="S3Endpoints"/>): URL prefixes such as
    /// <c>https://minio.internal:9000</c> or bare hosts such as <c>s3.eu-central-003.backblazeb2.com</c> (HTTPS, any
    /// port). A <c>*</c> stands for one DNS label. Only an entry without <c>*</c> lets the endpoint resolve to a
    /// private or loopback address. Empty or unset: <see cref="DefaultAllowedEndpoints"/>.
    /// </summary>
    public List<string> AllowedEndpoints { get; set; } = [];

    /// <summary>How long one request to the source may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether new and changed objects get one HeadObject each for their Content-Type (the record's <c>mimeType</c>)
    /// and SHA-256 checksum (<c>hash.sha256</c>), which ListObjectsV2 does not return. Off: <c>mimeType</c> from the
    /// key's extension and <c>hash</c> the ETag only, one request per 1,000 objects even on an initial sync.
    /// </summary>
    public bool ReadObjectMetadata { get; set; } = true;

    /// <summary>The default of <see cref="MetadataConcurrency"/>.</summary>
    public const int DefaultMetadataConcurrency = 16;

    /// <summary>How many HeadObject requests one run keeps in flight (each also waits for the credential's request budget).</summary>
    public int MetadataConcurrency { get; set; } = DefaultMetadataConcurrency;
}
