namespace GrpcSync.Domain;

/// <summary>The tenant every Sync and credential belongs to: a project and one of its users.</summary>
public readonly record struct Scope(string ProjectId, string UserId);

/// <summary>Lifecycle status of a Sync (the reference's StatusField enum).</summary>
public enum SyncStatus { Initializing = 1, Active = 2, Idle = 3, RateLimited = 4, Disabled = 5, Errored = 6 }

/// <summary>What a run does.</summary>
public enum RunType { Initial = 1, Incremental = 2, Full = 3 }

/// <summary>Why a run was queued.</summary>
public enum RunTrigger { Enable = 1, Schedule = 2, CredentialChange = 3, Periodic = 4, Manual = 5 }

/// <summary>Where a run is in its life. Queued and Running are "open"; the rest are final.</summary>
public enum RunState { Queued = 1, Running = 2, Succeeded = 3, Failed = 4, Cancelled = 5 }

/// <summary>A Sync as stored. Immutable: changes produce a new value with <see cref="Version"/> + 1.</summary>
public sealed record Sync
{
    public required Guid Id { get; init; }
    public required string ProjectId { get; init; }
    public required string UserId { get; init; }
    public required string Integration { get; init; }
    public required string Pipeline { get; init; }
    public required string ConfigurationName { get; init; }
    /// <summary>The configuration object as compact JSON (<c>{}</c> when none was given).</summary>
    public required string ConfigurationJson { get; init; }
    public Guid? CredentialId { get; init; }
    /// <summary>The frequency the caller set explicitly; null means the default (<see cref="Frequency.Default"/>).</summary>
    public string? Frequency { get; init; }
    public required SyncStatus Status { get; init; }
    public string? Reason { get; init; }
    public long? RateLimitBackoffMs { get; init; }
    /// <summary>When the next scheduled incremental run is planned (null while disabled or errored).</summary>
    public DateTimeOffset? NextRunAt { get; init; }
    /// <summary>When the last run started; the schedule is planned from it.</summary>
    public DateTimeOffset? LastRunStartedAt { get; init; }
    public DateTimeOffset? LastSyncedAt { get; init; }
    public long TotalRecords { get; init; }
    public long SyncedRecordsCount { get; init; }
    /// <summary>
    /// The change sequence of the Sync's latest record change (0: no record yet). The store keeps only
    /// this number; the cursor callers see is built from it when read (<see cref="LatestCursor"/>).
    /// </summary>
    public long LatestRecordSequence { get; init; }
    /// <summary>The connector's own position (opaque to us): where the next incremental run resumes.</summary>
    public string? SourceCursor { get; init; }
    /// <summary>When the last INITIAL or FULL run succeeded; the periodic full re-sync is planned from it.</summary>
    public DateTimeOffset? LastFullSyncAt { get; init; }
    /// <summary>Incremented by every change; the etag is derived from it.</summary>
    public required long Version { get; init; }
    /// <summary>
    /// Which life of the Sync this is: drawn at random when it is enabled, kept until it is deleted.
    /// The id alone cannot tell lives apart (it is name-based), and neither can <see cref="CreatedAt"/>
    /// (milliseconds: a delete and enable within one millisecond, or a clock set back, repeat it).
    /// Cursors and page tokens carry it, so one from an earlier life is refused instead of skipping records.
    /// </summary>
    public required long Incarnation { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public Scope Scope => new(ProjectId, UserId);

    /// <summary>The interval incremental runs follow (the explicit frequency or the default).</summary>
    public TimeSpan Interval => Domain.Frequency.ToInterval(Frequency ?? Domain.Frequency.Default);

    /// <summary>
    /// An opaque etag. It includes the creation time so that a Sync deleted and enabled again
    /// (same id, version back to 1) never matches an etag of its earlier life.
    /// </summary>
    public string ETag => ETags.For(Id, CreatedAt, Version);

    /// <summary>
    /// The records cursor after the latest change (summary.latestCursor), or null before the first record.
    /// It means the same as a records page's cursor at that change: the next page starts after it.
    /// </summary>
    public string? LatestCursor => LatestRecordSequence > 0 ? RecordCursor.Encode(Incarnation, LatestRecordSequence) : null;
}

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

    public bool IsOpen => State is RunState.Queued or RunState.Running;
}

/// <summary>A connected account. The secret is stored only in protected (encrypted) form.</summary>
public sealed record Credential
{
    public required Guid Id { get; init; }
    public required string ProjectId { get; init; }
    public required string UserId { get; init; }
    public required string Integration { get; init; }
    public required string DisplayName { get; init; }
    /// <summary>The secret after encryption (never the plain text).</summary>
    public required string ProtectedSecret { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? DeletedAt { get; init; }
}

/// <summary>
/// One synced record as stored. <see cref="Sequence"/> is the Sync's change counter at the record's
/// last change: records are pulled in sequence order, so a change always moves a record to the end.
/// </summary>
public sealed record SyncRecord
{
    public required Guid Id { get; init; }
    public required Guid SyncId { get; init; }
    public required string ExternalId { get; init; }
    public required long Sequence { get; init; }
    /// <summary>A tombstone: the record no longer exists in the source (or the new account cannot see it).</summary>
    public required bool Deleted { get; init; }
    /// <summary>The pipeline's fields as a JSON object (e.g. name, mimeType, size for files).</summary>
    public required string DataJson { get; init; }
    public required string Fingerprint { get; init; }
    public required DateTimeOffset SyncedAt { get; init; }
}
