namespace GrpcSync.Domain;

/// <summary>
/// What the dispatcher knows about a Sync's credential when it decides whether to start the Sync's run: the hold
/// the source put on it (<see cref="HoldUntil"/>: no run on it starts before; null or past = none), how many runs on
/// it are RUNNING under a live lease (counted in the dispatch transaction, runs started earlier in the same round
/// included) and how many its integration allows at once. <see cref="Unlimited"/> for a Sync without a credential.
/// </summary>
public sealed record CredentialBudget(DateTimeOffset? HoldUntil, string? HoldError, int Running, int MaxRuns)
{
    /// <summary>No hold and no cap.</summary>
    public static readonly CredentialBudget Unlimited = new(null, null, 0, int.MaxValue);

    /// <summary>The source's hold is still on at <paramref name="now"/>.</summary>
    public bool IsHeldAt(DateTimeOffset now) => HoldUntil is { } until && until > now;

    /// <summary>Every run slot of the credential is taken.</summary>
    public bool IsFull => Running >= MaxRuns;
}
