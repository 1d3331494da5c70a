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

    /// <summary>Where Data Protection keys (that encrypt credential secrets) are kept; default DataDirectory/keys. Same as DataProtection:KeysPath (which wins).</summary>
    public string? KeysDirectory { get; set; }

    /// <summary>Metrics (the Prometheus scrape) and traces: <c>GrpcSync:Telemetry</c>.</summary>
    public Telemetry.TelemetryOptions Telemetry { get; set; } = new();

    /// <summary>Console log format: <c>GrpcSync:Logging:Json</c>.</summary>
    public Telemetry.LoggingOptions Logging { get; set; } = new();

    /// <summary>The key ring's place and its encryption at rest.</summary>
    public DataProtectionOptions DataProtection { get; set; } = new();
}
