namespace GrpcSync.Server.Telemetry;

/// <summary>The <c>GrpcSync:Telemetry:Metrics</c> section: the Prometheus scrape endpoint.</summary>
public sealed class MetricsOptions
{
    /// <summary>Serve the Prometheus scrape (no token). False: no endpoint (OTLP export, if configured, goes on).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A port of its own for the scrape (HTTP/1.1, on ListenAddress); null: the REST port.</summary>
    public int? Port { get; set; }

    /// <summary>The scrape's path.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>How often the <c>grpcsync.syncs</c> gauge asks the store for its counts (a scrape never does).</summary>
    public TimeSpan SyncCountInterval { get; set; } = TimeSpan.FromSeconds(15);
}
