using Google.Protobuf.WellKnownTypes;
using GrpcSync.Domain;
using V1 = GrpcSync.V1;

namespace GrpcSync.Server.Api;

/// <summary>Domain values → wire messages. The only place that knows both shapes.</summary>
public static class ProtoMapping
{
    public static V1.Sync ToProto(this SyncSnapshot snapshot)
    {
        var message = snapshot.Sync.ToProto();
        if (snapshot.PendingRun is { } pending)
        {
            message.PendingRun = pending.ToProto();
        }
        if (snapshot.RunningRun is { } running)
        {
            message.RunningRun = running.ToProto();
        }
        return message;
    }

    public static V1.Sync ToProto(this Sync sync)
    {
        var message = new V1.Sync
        {
            Id = sync.Id.ToString(),
            UserId = sync.UserId,
            ProjectId = sync.ProjectId,
            Integration = sync.Integration,
            Pipeline = sync.Pipeline,
            Status = (V1.SyncStatus)(int)sync.Status,
            ConfigurationName = sync.ConfigurationName,
            Configuration = Struct.Parser.ParseJson(sync.ConfigurationJson),
            CredentialId = sync.CredentialId?.ToString() ?? "",
            Summary = new V1.SyncSummary
            {
                TotalRecords = sync.TotalRecords,
                SyncedRecordsCount = sync.SyncedRecordsCount,
                LastSyncedAt = Ts(sync.LastSyncedAt),
            },
            NextRunAt = Ts(sync.NextRunAt),
            Etag = sync.ETag,
            DateCreated = Ts(sync.CreatedAt),
            DateUpdated = Ts(sync.UpdatedAt),
        };
        if (sync.Reason is not null)
        {
            message.Reason = sync.Reason;
        }
        if (sync.LatestCursor is not null)
        {
            message.Summary.LatestCursor = sync.LatestCursor;
        }
        if (sync.Frequency is not null)
        {
            message.IncrementalAccumulatorFrequency = sync.Frequency;
        }
        if (sync.Status == SyncStatus.RateLimited && sync.RateLimitBackoffMs is { } backoff)
        {
            message.RateLimitBackoffMs = backoff;
        }
        if (sync.Status == SyncStatus.RateLimited && sync.RateLimitedUntil is { } until)
        {
            message.RateLimitedUntil = Timestamp.FromDateTimeOffset(until);
        }
        return message;
    }

    public static V1.SyncRun ToProto(this SyncRun run)
    {
        var message = new V1.SyncRun
        {
            Id = run.Id.ToString(),
            SyncId = run.SyncId.ToString(),
            Type = (V1.SyncRunType)(int)run.Type,
            Trigger = (V1.SyncRunTrigger)(int)run.Trigger,
            State = (V1.SyncRunState)(int)run.State,
            CreatedAt = Ts(run.CreatedAt),
            DueAt = Ts(run.DueAt),
            StartedAt = Ts(run.StartedAt),
            FinishedAt = Ts(run.FinishedAt),
            Attempt = run.Attempt,
            RunCount = run.RunCount,
        };
        if (run.CollapsedRuns is not null)
        {
            message.FirstStartedAt = Ts(run.StartedAt);
            message.LastStartedAt = Ts(run.LastStartedAt);
        }
        if (run.Error is not null)
        {
            message.Error = run.Error;
        }
        if (run.State == RunState.Queued && run.Hold is { } hold)
        {
            message.Hold = (V1.SyncRunHold)(int)hold;
        }
        return message;
    }

    public static V1.Credential ToProto(this Credential credential) => new()
    {
        Id = credential.Id.ToString(),
        Integration = credential.Integration,
        DisplayName = credential.DisplayName,
        UserId = credential.UserId,
        ProjectId = credential.ProjectId,
        DateCreated = Ts(credential.CreatedAt),
    };

    private static Timestamp? Ts(DateTimeOffset? value) => value is { } v ? Timestamp.FromDateTimeOffset(v) : null;
}
