namespace GrpcSync.Server.Telemetry;

/// <summary>The <c>GrpcSync:Logging</c> section.</summary>
public sealed class LoggingOptions
{
    /// <summary>
    /// JSON lines on the console (the standard <c>Logging:Console:FormatterName=json</c> does the same), scopes
    /// included, so every line of a run carries its RunId, SyncId and Attempt.
    /// </summary>
    public bool Json { get; set; }
}
