using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GrpcSync.Domain;

namespace GrpcSync.Bench.Baseline;

/// <summary>
/// The JSON GrpcSync's transcoding writes for a Sync (proto3 JSON: camelCase names, enums without
/// their prefix, int64 as numbers, RFC 3339 timestamps, unset optional fields left out, non-optional
/// scalars always written). The bench checks that both answers parse to equal JSON.
/// </summary>
public sealed record SyncJson(
    string Id, string UserId, string Integration, string Pipeline, string ProjectId, string Status,
    string ConfigurationName, JsonElement Configuration, string CredentialId,
    string? IncrementalAccumulatorFrequency, string? Reason, long? RateLimitBackoffMs, SummaryJson Summary,
    string? NextRunAt, RunJson? PendingRun, RunJson? RunningRun, string Etag, string DateCreated, string DateUpdated)
{
    public static SyncJson From(SyncSnapshot snapshot)
    {
        var s = snapshot.Sync;
        using var configuration = JsonDocument.Parse(s.ConfigurationJson);
        return new SyncJson(
            s.Id.ToString(), s.UserId, s.Integration, s.Pipeline, s.ProjectId, Name(s.Status),
            s.ConfigurationName, configuration.RootElement.Clone(), s.CredentialId?.ToString() ?? "",
            s.Frequency, s.Reason, s.Status == SyncStatus.RateLimited ? s.RateLimitBackoffMs : null,
            new SummaryJson(s.TotalRecords, s.SyncedRecordsCount, Time(s.LastSyncedAt), s.LatestCursor),
            Time(s.NextRunAt), Run(snapshot.PendingRun), Run(snapshot.RunningRun), s.ETag,
            Time(s.CreatedAt)!, Time(s.UpdatedAt)!);
    }

    private static RunJson? Run(SyncRun? run) => run is null ? null : new RunJson(
        run.Id.ToString(), run.SyncId.ToString(), Name(run.Type), Name(run.Trigger), Name(run.State),
        Time(run.CreatedAt)!, Time(run.DueAt)!, Time(run.StartedAt), Time(run.FinishedAt), run.Attempt, run.Error, run.RunCount);

    /// <summary>Proto3 JSON timestamps: seconds, then 3, 6 or 9 fraction digits only when needed.</summary>
    private static string? Time(DateTimeOffset? value)
    {
        if (value is not { } v)
        {
            return null;
        }
        var utc = v.UtcDateTime;
        return utc.Millisecond == 0 && utc.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    private static string Name(SyncStatus status) => status switch
    {
        SyncStatus.Initializing => "INITIALIZING",
        SyncStatus.Active => "ACTIVE",
        SyncStatus.Idle => "IDLE",
        SyncStatus.RateLimited => "RATE_LIMITED",
        SyncStatus.Disabled => "DISABLED",
        _ => "ERRORED",
    };

    private static string Name(RunType type) => type switch
    {
        RunType.Initial => "INITIAL",
        RunType.Incremental => "INCREMENTAL",
        _ => "FULL",
    };

    private static string Name(RunTrigger trigger) => trigger switch
    {
        RunTrigger.Enable => "ENABLE",
        RunTrigger.Schedule => "SCHEDULE",
        RunTrigger.CredentialChange => "CREDENTIAL_CHANGE",
        RunTrigger.Periodic => "PERIODIC",
        _ => "MANUAL",
    };

    private static string Name(RunState state) => state switch
    {
        RunState.Queued => "QUEUED",
        RunState.Running => "RUNNING",
        RunState.Succeeded => "SUCCEEDED",
        RunState.Failed => "FAILED",
        _ => "CANCELLED",
    };
}

public sealed record SummaryJson(long TotalRecords, long SyncedRecordsCount, string? LastSyncedAt, string? LatestCursor);

public sealed record RunJson(
    string Id, string SyncId, string Type, string Trigger, string State, string CreatedAt, string DueAt,
    string? StartedAt, string? FinishedAt, int Attempt, string? Error, int RunCount);

/// <summary>The PATCH body; unknown keys are an error, null means absent.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpdateBody(string? CredentialId, string? IncrementalAccumulatorFrequency, string? Etag);

public sealed record UpdateData(string? CredentialId, string? IncrementalAccumulatorFrequency);

public sealed record UpdateResponse(string Id, UpdateData Data, string Message);

public sealed record ErrorJson(int Code, string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SyncJson))]
[JsonSerializable(typeof(UpdateBody))]
[JsonSerializable(typeof(UpdateResponse))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(string))]
public sealed partial class BaselineJson : JsonSerializerContext;
