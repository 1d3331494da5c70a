namespace GrpcSync.Server.Hosting;

/// <summary>The <c>GrpcSync</c> configuration section (appsettings.json, env <c>GrpcSync__...</c>, command line).</summary>
public sealed class GrpcSyncOptions
{
    public const string Section = "GrpcSync";

    /// <summary>Address both ports bind to. 0.0.0.0 to accept remote callers.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>HTTP/1.1 port: the JSON/REST facade (transcoded), /healthz and /swagger.</summary>
    public int RestPort { get; set; } = 5080;

    /// <summary>HTTP/2 cleartext (h2c) port: native gRPC, reflection and the gRPC health service.</summary>
    public int GrpcPort { get; set; } = 5081;

    /// <summary>Where the SQLite database, Data Protection keys and development keys live.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Serve gRPC server reflection (for grpcurl / buf curl).</summary>
    public bool EnableReflection { get; set; } = true;

    public StoreOptions Store { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    /// <summary>Request line, header and body size limits.</summary>
    public LimitsOptions Limits { get; set; } = new();

    /// <summary>Per-caller request rate limits.</summary>
    public RateLimiting.RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Where Data Protection keys (that encrypt credential secrets) are kept; default DataDirectory/keys.</summary>
    public string? KeysDirectory { get; set; }
}

public sealed class StoreOptions
{
    /// <summary><c>Sqlite</c> (embedded default) or <c>Postgres</c> (several replicas).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>
    /// Sqlite: optional connection string (default: a file grpcsync.db in DataDirectory).
    /// Postgres: the Npgsql connection string (required).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Sqlite only: <c>Normal</c> (default; a commit survives a process crash, a power loss can lose the last
    /// ones) or <c>Full</c> (every commit is synced to disk before the call returns; several times the cost per write).
    /// </summary>
    public string SqliteDurability { get; set; } = "Normal";
}

public sealed class AuthOptions
{
    /// <summary>The audience host used when none is configured.</summary>
    public const string DefaultAudienceHost = "grpcsync.local";

    /// <summary>
    /// Accepted host parts of the <c>aud</c> claim, which is <c>&lt;host&gt;/&lt;projectId&gt;</c>.
    /// Empty means <see cref="DefaultAudienceHost"/> (a list default would be appended to, not replaced,
    /// by configuration binding).
    /// </summary>
    public List<string> AudienceHosts { get; set; } = [];

    public IReadOnlyList<string> EffectiveAudienceHosts => AudienceHosts.Count > 0 ? AudienceHosts : [DefaultAudienceHost];

    /// <summary>Projects by id, each with the RSA public key its tokens are signed with.</summary>
    public Dictionary<string, ProjectKeyOptions> Projects { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Tolerated clock difference for <c>exp</c>/<c>iat</c>, in seconds.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>
    /// Development only: generate (once, under DataDirectory/dev) an RSA key for the project
    /// <see cref="DevelopmentProjectId"/> and print a ready-made token at start-up. Never set in production.
    /// </summary>
    public bool GenerateDevelopmentKey { get; set; }

    public string DevelopmentProjectId { get; set; } = "dev-project";
}

public sealed class ProjectKeyOptions
{
    /// <summary>The PEM text of the project's RSA public key (SubjectPublicKeyInfo or PKCS#1).</summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>Or a path to a PEM file with it.</summary>
    public string? PublicKeyFile { get; set; }
}
