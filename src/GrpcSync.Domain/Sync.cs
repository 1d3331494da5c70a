namespace GrpcSync.Domain;

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
    /// <summary>When a RATE_LIMITED Sync resumes (its credential's hold ends); null otherwise.</summary>
    public DateTimeOffset? RateLimitedUntil { get; init; }
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
