namespace GrpcSync.Domain;

/// <summary>Engine settings the run rules need (all have production defaults).</summary>
public sealed record RunPolicy
{
    /// <summary>How long a claim holds a run without renewal; a crashed worker's run is claimed again after it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The periodic FULL re-sync (deletion detection) interval.</summary>
    public TimeSpan FullSyncEvery { get; init; } = TimeSpan.FromHours(24);
    /// <summary>Transient failures retried before a run is FAILED.</summary>
    public int MaxRetries { get; init; } = 5;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromMinutes(5);
}
