namespace GrpcSync.Connectors;

/// <summary>The source asked us to slow down: the Sync shows RATE_LIMITED and resumes after <see cref="RetryAfter"/>.</summary>
public sealed class RateLimitedSourceException(TimeSpan retryAfter, string message) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
