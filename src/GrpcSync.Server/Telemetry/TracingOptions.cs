namespace GrpcSync.Server.Telemetry;

/// <summary>The <c>GrpcSync:Telemetry:Tracing</c> section (traces are exported only over OTLP).</summary>
public sealed class TracingOptions
{
    /// <summary>The share of new traces kept (1: all); a call that arrives with a sampled parent is kept with it.</summary>
    public double SampleRatio { get; set; } = 1.0;
}
