namespace GrpcSync.Domain;

/// <summary>One run of a Sync, as stored.</summary>
public sealed record SyncRun
{
    public required Guid Id { get; init; }
    public required Guid SyncId { get; init; }
    public required RunType Type { get; init; }
    public required RunTrigger Trigger { get; init; }
    public required RunState State { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset DueAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>How many times a worker claimed the run; the fencing token of its final write.</summary>
    public int Attempt { get; init; }
    public string? Error { get; init; }
    /// <summary>How many times the run failed transiently and was queued again (drives the backoff).</summary>
    public int Retries { get; init; }
    /// <summary>The worker (process) holding the run while it is RUNNING.</summary>
    public string? LeaseOwner { get; init; }
    /// <summary>When the lease ends unless renewed; after that another worker may claim the run again.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    /// <summary>Why this QUEUED run waits on its credential (null: it does not); cleared when it starts.</summary>
    public RunHold? Hold { get; init; }

    /// <summary>
    /// Null: an entry of its own (a run that changed records, failed, was rate limited, FULL, INITIAL, manual, or still
    /// open). n ≥ 1: a collapsed entry standing for n consecutive scheduled INCREMENTAL runs that changed nothing
    /// (<see cref="RunHistory"/>); it keeps the first run's id and <see cref="StartedAt"/>, and absorbs the next such run.
    /// </summary>
    public int? CollapsedRuns { get; init; }
    /// <summary>A collapsed entry's last start (its <see cref="StartedAt"/> is the first); null otherwise.</summary>
    public DateTimeOffset? LastStartedAt { get; init; }

    /// <summary>How many runs this history entry stands for (1 unless collapsed).</summary>
    public int RunCount => CollapsedRuns ?? 1;

    public bool IsOpen => State is RunState.Queued or RunState.Running;
}
