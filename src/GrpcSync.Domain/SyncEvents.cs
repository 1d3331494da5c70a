using System.Globalization;
using System.Text.Json.Nodes;

namespace GrpcSync.Domain;

/// <summary>
/// The events of the catalogue, built from the state the decisions already hold: each factory returns the
/// event's type and its <c>data</c> object. Enum values are spelled as the API spells them (SCREAMING_CASE).
/// </summary>
public static class SyncEvents
{
    /// <summary>Error code of a Sync stopped by a permanent failure of its source.</summary>
    public const string PermanentFailureCode = "PERMANENT_FAILURE";

    /// <summary>Error code of a Sync stopped because its credential was deleted.</summary>
    public const string CredentialDeletedCode = "CREDENTIAL_DELETED";

    /// <summary>Error code of a Sync stopped because the source rejected its credential for good (OAuth <c>invalid_grant</c>).</summary>
    public const string CredentialRejectedCode = "CREDENTIAL_REJECTED";

    public static SyncEvent SyncComplete(Sync after, DateTimeOffset now) => New(EventTypes.SyncComplete, now, new JsonObject
    {
        ["model"] = after.Pipeline,
        ["syncedAt"] = Rfc3339(now),
        ["numRecords"] = after.SyncedRecordsCount,
    });

    /// <summary><c>error.message</c> is the Sync's reason, as GetSync shows it.</summary>
    public static SyncEvent SyncErrored(string code, string reason, DateTimeOffset now) => New(EventTypes.SyncErrored, now, new JsonObject
    {
        ["error"] = new JsonObject { ["code"] = code, ["message"] = reason },
    });

    /// <summary>One record change: <paramref name="type"/> is record_created, record_updated or record_deleted.</summary>
    public static SyncEvent RecordChanged(string type, string model, Guid recordId, string externalId, DateTimeOffset now)
    {
        if (type is not (EventTypes.RecordCreated or EventTypes.RecordUpdated or EventTypes.RecordDeleted))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not a record event.");
        }
        return New(type, now, new JsonObject { ["model"] = model, ["recordId"] = recordId.ToString(), ["externalId"] = externalId });
    }

    public static SyncEvent RunStarted(SyncRun run, DateTimeOffset now) => New(EventTypes.RunStarted, now, RunData(run));

    /// <summary>
    /// Whether the run logs <c>run_started</c> when it is claimed. A scheduled INCREMENTAL run does not: at 1m most of them
    /// change nothing, and a Sync would log two events a minute that say nothing (2.9 billion a day at 1,000,000 Syncs).
    /// Such a run is quiet unless it has something to report: when it changes records, fails or is cancelled while
    /// running, its end logs <c>run_started</c> (at its start time) just before <c>run_finished</c>.
    /// </summary>
    public static bool AnnouncesStart(SyncRun run) => !(run.Type == RunType.Incremental && run.Trigger == RunTrigger.Schedule);

    /// <summary>
    /// The <c>run_started</c> a quiet run (<see cref="AnnouncesStart"/> false) logs when it ends with something to report,
    /// before its <c>run_finished</c>: the run as it ran (RUNNING), stamped with its start.
    /// </summary>
    public static IEnumerable<SyncEvent> LateStart(SyncRun running) =>
        AnnouncesStart(running) ? [] : [RunStarted(running, running.StartedAt ?? running.CreatedAt)];

    /// <summary>A run that ended (succeeded, failed or cancelled), with what it changed.</summary>
    public static SyncEvent RunFinished(SyncRun run, RunCounts counts, DateTimeOffset now)
    {
        var data = RunData(run);
        data["created"] = counts.Created;
        data["updated"] = counts.Updated;
        data["deleted"] = counts.Deleted;
        if (run.Error is { } error)
        {
            data["error"] = error;
        }
        return New(EventTypes.RunFinished, now, data);
    }

    /// <summary>
    /// What an update changed, old → new, and who changed it (<paramref name="sub"/>): the audit trail of
    /// credential rebinding. Only changed settings appear.
    /// </summary>
    public static SyncEvent SyncUpdated(Sync before, Sync after, string sub, DateTimeOffset now)
    {
        var changes = new JsonObject();
        if (before.CredentialId != after.CredentialId)
        {
            changes["credentialId"] = Change(before.CredentialId?.ToString(), after.CredentialId?.ToString());
        }
        if (before.Frequency != after.Frequency)
        {
            changes["frequency"] = Change(before.Frequency, after.Frequency);
        }
        return New(EventTypes.SyncUpdated, now, new JsonObject { ["changes"] = changes, ["sub"] = sub });
    }

    public static SyncEvent SyncDisabled(Sync before, DateTimeOffset now) =>
        New(EventTypes.SyncDisabled, now, new JsonObject { ["previousStatus"] = Screaming(before.Status.ToString()) });

    public static SyncEvent SyncReenabled(Sync after, DateTimeOffset now) =>
        New(EventTypes.SyncReenabled, now, new JsonObject { ["status"] = Screaming(after.Status.ToString()) });

    public static SyncEvent SyncDeleted(DateTimeOffset now) => New(EventTypes.SyncDeleted, now, new JsonObject());

    public static SyncEvent SyncRateLimited(SyncRun run, TimeSpan backoff, string error, DateTimeOffset now) =>
        New(EventTypes.SyncRateLimited, now, new JsonObject
        {
            ["runId"] = run.Id.ToString(),
            ["retryAfterMs"] = (long)backoff.TotalMilliseconds,
            ["error"] = error,
        });

    /// <summary>The events a Sync's run changes imply: run_finished for each started run that was cancelled.</summary>
    public static IEnumerable<SyncEvent> CancelledRuns(IEnumerable<SyncRun> openBefore, IEnumerable<SyncRun> cancelled, DateTimeOffset now)
    {
        var running = openBefore.Where(r => r.State == RunState.Running).ToDictionary(r => r.Id);
        return cancelled.Where(r => running.ContainsKey(r.Id))
            .SelectMany(r => LateStart(running[r.Id]).Append(RunFinished(r, RunCounts.None, now)));
    }

    /// <summary>RFC 3339 in UTC with milliseconds, the precision the store keeps.</summary>
    public static string Rfc3339(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static JsonObject RunData(SyncRun run) => new()
    {
        ["runId"] = run.Id.ToString(),
        ["type"] = Screaming(run.Type.ToString()),
        ["trigger"] = Screaming(run.Trigger.ToString()),
        ["state"] = Screaming(run.State.ToString()),
        ["attempt"] = run.Attempt,
    };

    private static JsonObject Change(string? old, string? @new) => new() { ["old"] = old, ["new"] = @new };

    private static SyncEvent New(string type, DateTimeOffset now, JsonObject data) =>
        new(Guid.CreateVersion7(now), type, now, data.ToJsonString());

    /// <summary>CredentialChange → CREDENTIAL_CHANGE, as the proto enums spell them.</summary>
    private static string Screaming(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : char.ToUpperInvariant(c).ToString()));
}
