using System.Data.Common;
using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>Column lists beside their mapping: rows read by ordinal, values bound by name.</summary>
public abstract partial class RelationalSyncStore
{
    /// <summary>The columns a Sync is written to (insert, and the changed ones on update).</summary>
    private const string SyncColumns =
        "id, project_id, user_id, integration, pipeline, configuration_name, configuration_json, credential_id, " +
        "frequency, status, reason, rate_limit_backoff_ms, next_run_at, last_run_started_at, last_synced_at, " +
        "total_records, synced_records_count, incarnation, version, created_at, updated_at, source_cursor, last_full_sync_at, " +
        "rate_limited_until";

    /// <summary>
    /// The columns a Sync is read from: also record_sequence, the store's own counter (only page writes set it),
    /// which is <see cref="Sync.LatestRecordSequence"/>: every change takes the next sequence, so it is the highest.
    /// </summary>
    private const string SyncReadColumns = SyncColumns + ", record_sequence";

    private const string RunColumns =
        "id, sync_id, run_type, run_trigger, state, created_at, due_at, started_at, finished_at, attempt, error, " +
        "retries, lease_owner, lease_expires_at, hold, collapsed_runs, last_started_at";

    private const string RecordColumns =
        "sync_id, id, external_id, sequence, deleted, data_json, fingerprint, synced_at";

    /// <summary>The columns a credential is inserted with.</summary>
    private const string CredentialInsertColumns =
        "id, project_id, user_id, integration, display_name, protected_secret, created_at, deleted_at";

    /// <summary>The columns <see cref="ReadCredential"/> reads: the inserted ones, then the OAuth refresh state.</summary>
    private const string CredentialColumns = CredentialInsertColumns + ", secret_version, invalid_at";

    private (string Name, object? Value)[] RunParameters(SyncRun run) =>
    [
        ("@id", IdParameter(run.Id)), ("@sync_id", IdParameter(run.SyncId)), ("@run_type", Name(run.Type)),
        ("@run_trigger", Name(run.Trigger)), ("@state", Name(run.State)), ("@created_at", Ms(run.CreatedAt)),
        ("@due_at", Ms(run.DueAt)), ("@started_at", Ms(run.StartedAt)), ("@finished_at", Ms(run.FinishedAt)),
        ("@attempt", run.Attempt), ("@error", run.Error), ("@retries", run.Retries), ("@lease_owner", run.LeaseOwner),
        ("@lease_expires_at", Ms(run.LeaseExpiresAt)), ("@hold", run.Hold is { } hold ? Name(hold) : null),
        ("@collapsed_runs", run.CollapsedRuns), ("@last_started_at", Ms(run.LastStartedAt)),
    ];

    private const string SyncValues =
        "@id, @project_id, @user_id, @integration, @pipeline, @configuration_name, @configuration_json, @credential_id, " +
        "@frequency, @status, @reason, @rate_limit_backoff_ms, @next_run_at, @last_run_started_at, @last_synced_at, " +
        "@total_records, @synced_records_count, @incarnation, @version, @created_at, @updated_at, @source_cursor, @last_full_sync_at, " +
        "@rate_limited_until";

    private static readonly string[] SyncColumnNames = SyncColumns.Split(", ");

    private static readonly string[] SyncParameterNames = [.. SyncColumnNames.Select(c => "@" + c)];

    /// <summary>A Sync's column values as bound, in <see cref="SyncColumns"/> order.</summary>
    private object?[] SyncRowValues(Sync sync) =>
    [
        IdParameter(sync.Id), sync.ProjectId, sync.UserId, sync.Integration, sync.Pipeline, sync.ConfigurationName,
        sync.ConfigurationJson, Id(sync.CredentialId), sync.Frequency, Name(sync.Status), sync.Reason,
        sync.RateLimitBackoffMs, Ms(sync.NextRunAt), Ms(sync.LastRunStartedAt), Ms(sync.LastSyncedAt), sync.TotalRecords,
        sync.SyncedRecordsCount, sync.Incarnation, sync.Version, Ms(sync.CreatedAt), Ms(sync.UpdatedAt), sync.SourceCursor,
        Ms(sync.LastFullSyncAt), Ms(sync.RateLimitedUntil),
    ];

    private void AddSyncParameters(DbCommand command, Sync sync)
    {
        var values = SyncRowValues(sync);
        for (var i = 0; i < values.Length; i++)
        {
            AddParameter(command, SyncParameterNames[i], values[i]);
        }
    }

    // ---- Row mapping (by ordinal, in the order of the column lists above) ----

    private Sync ReadSync(DbDataReader r) => new()
    {
        Id = ReadId(r, 0),
        ProjectId = r.GetString(1),
        UserId = r.GetString(2),
        Integration = r.GetString(3),
        Pipeline = r.GetString(4),
        ConfigurationName = r.GetString(5),
        ConfigurationJson = r.GetString(6),
        CredentialId = r.IsDBNull(7) ? null : ReadId(r, 7),
        Frequency = NullableString(r, 8),
        Status = Enum.Parse<SyncStatus>(r.GetString(9)),
        Reason = NullableString(r, 10),
        RateLimitBackoffMs = r.IsDBNull(11) ? null : r.GetInt64(11),
        NextRunAt = NullableTime(r, 12),
        LastRunStartedAt = NullableTime(r, 13),
        LastSyncedAt = NullableTime(r, 14),
        TotalRecords = r.GetInt64(15),
        SyncedRecordsCount = r.GetInt64(16),
        Incarnation = r.GetInt64(17),
        Version = r.GetInt64(18),
        CreatedAt = Time(r, 19),
        UpdatedAt = Time(r, 20),
        SourceCursor = NullableString(r, 21),
        LastFullSyncAt = NullableTime(r, 22),
        RateLimitedUntil = NullableTime(r, 23),
        LatestRecordSequence = r.GetInt64(24),
    };

    private SyncRun ReadRun(DbDataReader r) => new()
    {
        Id = ReadId(r, 0),
        SyncId = ReadId(r, 1),
        Type = Enum.Parse<RunType>(r.GetString(2)),
        Trigger = Enum.Parse<RunTrigger>(r.GetString(3)),
        State = Enum.Parse<RunState>(r.GetString(4)),
        CreatedAt = Time(r, 5),
        DueAt = Time(r, 6),
        StartedAt = NullableTime(r, 7),
        FinishedAt = NullableTime(r, 8),
        Attempt = r.GetInt32(9),
        Error = NullableString(r, 10),
        Retries = r.GetInt32(11),
        LeaseOwner = NullableString(r, 12),
        LeaseExpiresAt = NullableTime(r, 13),
        Hold = r.IsDBNull(14) ? null : Enum.Parse<RunHold>(r.GetString(14)),
        CollapsedRuns = r.IsDBNull(15) ? null : r.GetInt32(15),
        LastStartedAt = NullableTime(r, 16),
    };

    private SyncRecord ReadRecord(DbDataReader r) => new()
    {
        SyncId = ReadId(r, 0),
        Id = ReadId(r, 1),
        ExternalId = r.GetString(2),
        Sequence = r.GetInt64(3),
        Deleted = r.GetBoolean(4),
        DataJson = r.GetString(5),
        Fingerprint = r.GetString(6),
        SyncedAt = Time(r, 7),
    };

    private Credential ReadCredential(DbDataReader r) => new()
    {
        Id = ReadId(r, 0),
        ProjectId = r.GetString(1),
        UserId = r.GetString(2),
        Integration = r.GetString(3),
        DisplayName = r.GetString(4),
        ProtectedSecret = r.GetString(5),
        CreatedAt = Time(r, 6),
        DeletedAt = NullableTime(r, 7),
        SecretVersion = r.GetInt64(8),
        InvalidAt = NullableTime(r, 9),
    };

    private static DateTimeOffset Time(DbDataReader r, int i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static DateTimeOffset? NullableTime(DbDataReader r, int i) => r.IsDBNull(i) ? null : Time(r, i);

    private static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    // ---- Parameter values ----

    private static long Ms(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    private static long? Ms(DateTimeOffset? value) => value?.ToUnixTimeMilliseconds();

    private object? Id(Guid? id) => id is { } value ? IdParameter(value) : null;

    private static string Name<TEnum>(TEnum value) where TEnum : struct, Enum =>
        Enum.IsDefined(value)
            ? value.ToString()
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"Not a defined {typeof(TEnum).Name}.");
}
