namespace GrpcSync.Domain;

/// <summary>
/// Why a QUEUED run does not start although it may be due: it waits on its credential, not on its own schedule.
/// Null on a run that is not held. Cleared when the run starts.
/// </summary>
public enum RunHold
{
    /// <summary>
    /// Its credential already has as many runs RUNNING as its integration allows at once
    /// (<c>MaxRunsPerCredential</c>); the run starts when one of them ends.
    /// </summary>
    CredentialBusy = 1,

    /// <summary>The source throttled its credential (this Sync or another on it); the run starts at its due time.</summary>
    CredentialRateLimited = 2,
}
