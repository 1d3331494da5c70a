namespace GrpcSync.Domain;

/// <summary>How a worker's run ended, as reported to <see cref="RunRules.Finish"/>.</summary>
public abstract record RunOutcome
{
    /// <summary>All pages stored; <paramref name="SourceCursor"/> is where the next incremental run resumes.</summary>
    public sealed record Succeeded(string? SourceCursor) : RunOutcome;
    /// <summary>A failure that may pass (network, timeouts): retried with backoff up to the policy's limit.</summary>
    public sealed record TransientFailure(string Error) : RunOutcome;
    /// <summary>The source rate-limited us: the Sync shows RATE_LIMITED and the run waits <paramref name="Backoff"/>.</summary>
    public sealed record RateLimited(TimeSpan Backoff, string Error) : RunOutcome;
    /// <summary>
    /// A failure only a person can fix: the Sync becomes ERRORED with <paramref name="Reason"/>; its sync_errored
    /// event carries <paramref name="Code"/> (the connector's, e.g. CREDENTIAL_REJECTED, or PERMANENT_FAILURE).
    /// </summary>
    public sealed record PermanentFailure(string Reason, string Code = SyncEvents.PermanentFailureCode) : RunOutcome;
    /// <summary>The worker stopped without finishing (shutdown): the run is queued again, due now.</summary>
    public sealed record Released : RunOutcome;
}
