namespace GrpcSync.Domain;

/// <summary>The event catalogue's type names (Paragon's where Paragon has one).</summary>
public static class EventTypes
{
    public const string SyncComplete = "sync_complete";
    public const string SyncErrored = "sync_errored";
    public const string RecordCreated = "record_created";
    public const string RecordUpdated = "record_updated";
    public const string RecordDeleted = "record_deleted";
    public const string RunStarted = "run_started";
    public const string RunFinished = "run_finished";
    public const string SyncUpdated = "sync_updated";
    public const string SyncDisabled = "sync_disabled";
    public const string SyncReenabled = "sync_reenabled";
    public const string SyncDeleted = "sync_deleted";
    public const string SyncRateLimited = "sync_rate_limited";

    public static readonly IReadOnlyList<string> All =
    [
        SyncComplete, SyncErrored, RecordCreated, RecordUpdated, RecordDeleted, RunStarted, RunFinished,
        SyncUpdated, SyncDisabled, SyncReenabled, SyncDeleted, SyncRateLimited,
    ];
}
