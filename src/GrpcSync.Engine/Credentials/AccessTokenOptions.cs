namespace GrpcSync.Engine.Credentials;

/// <summary>Timing of the OAuth refresh coordination (<see cref="StoreAccessTokens"/>).</summary>
public sealed record AccessTokenOptions
{
    /// <summary>How long a refresh lease lasts: longer than one token-endpoint call may take (its timeout).</summary>
    public TimeSpan RefreshLease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a run waiting for another's refresh reads the stored grant again.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a run waits for another's refresh before it gives up (a transient failure, retried).</summary>
    public TimeSpan WaitForOtherRefresh { get; init; } = TimeSpan.FromSeconds(90);
}
