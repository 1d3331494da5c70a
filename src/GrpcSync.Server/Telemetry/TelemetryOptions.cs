namespace GrpcSync.Server.Telemetry;

/// <summary>The <c>GrpcSync:Telemetry</c> section: the Prometheus scrape and traces. OTLP export follows <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
public sealed class TelemetryOptions
{
    public MetricsOptions Metrics { get; set; } = new();

    public TracingOptions Tracing { get; set; } = new();

    /// <summary>Throws at start-up on a setting that cannot work (the ports are checked against the API's).</summary>
    public void Validate(int restPort, int grpcPort)
    {
        if (Metrics.Port is { } port && (port is < 1 or > 65535 || port == restPort || port == grpcPort))
        {
            throw new InvalidOperationException(
                $"GrpcSync:Telemetry:Metrics:Port {port} must be a free TCP port other than the REST ({restPort}) and gRPC ({grpcPort}) ports.");
        }
        if (!Metrics.Path.StartsWith('/') || Metrics.Path.Length < 2)
        {
            throw new InvalidOperationException($"GrpcSync:Telemetry:Metrics:Path '{Metrics.Path}' must be an absolute path such as /metrics.");
        }
        if (Metrics.SyncCountInterval < TimeSpan.FromMilliseconds(100))
        {
            throw new InvalidOperationException("GrpcSync:Telemetry:Metrics:SyncCountInterval must be at least 100 ms (default 15 s).");
        }
        if (Tracing.SampleRatio is < 0 or > 1 || double.IsNaN(Tracing.SampleRatio))
        {
            throw new InvalidOperationException("GrpcSync:Telemetry:Tracing:SampleRatio must be between 0 and 1.");
        }
    }
}
