using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Engine.Telemetry;

/// <summary>
/// The tag values of GrpcSync's instruments, as constant strings: <c>Enum.ToString()</c> would allocate on every
/// measurement. Types, triggers and statuses read as the API writes them (INITIAL, MANUAL, IDLE).
/// </summary>
internal static class TelemetryNames
{
    public static string Of(RunType type) => type switch
    {
        RunType.Initial => "INITIAL",
        RunType.Incremental => "INCREMENTAL",
        RunType.Full => "FULL",
        _ => "UNKNOWN",
    };

    public static string Of(RunTrigger trigger) => trigger switch
    {
        RunTrigger.Enable => "ENABLE",
        RunTrigger.Schedule => "SCHEDULE",
        RunTrigger.CredentialChange => "CREDENTIAL_CHANGE",
        RunTrigger.Periodic => "PERIODIC",
        RunTrigger.Manual => "MANUAL",
        _ => "UNKNOWN",
    };

    public static string Of(SyncStatus status) => status switch
    {
        SyncStatus.Initializing => "INITIALIZING",
        SyncStatus.Active => "ACTIVE",
        SyncStatus.Idle => "IDLE",
        SyncStatus.RateLimited => "RATE_LIMITED",
        SyncStatus.Disabled => "DISABLED",
        SyncStatus.Errored => "ERRORED",
        _ => "UNKNOWN",
    };

    /// <summary>How a run ended, as <c>grpcsync.runs.finished</c> and the run span tell it.</summary>
    public static string Of(RunOutcome outcome) => outcome switch
    {
        RunOutcome.Succeeded => Outcomes.Succeeded,
        RunOutcome.TransientFailure => Outcomes.TransientFailure,
        RunOutcome.RateLimited => Outcomes.RateLimited,
        RunOutcome.PermanentFailure => Outcomes.PermanentFailure,
        RunOutcome.Released => Outcomes.Released,
        _ => "other",
    };

    public static string Of(DeliveryState state) => state switch
    {
        DeliveryState.Succeeded => "succeeded",
        DeliveryState.Pending => "retrying",
        DeliveryState.Failed => "failed",
        _ => "other",
    };

    /// <summary>Values of the <c>outcome</c> tag of runs.</summary>
    public static class Outcomes
    {
        public const string Succeeded = "succeeded";
        public const string TransientFailure = "transient_failure";
        public const string RateLimited = "rate_limited";
        public const string PermanentFailure = "permanent_failure";
        public const string Released = "released";

        /// <summary>The worker lost its run (cancelled, disabled or claimed again): nothing was reported.</summary>
        public const string Abandoned = "abandoned";

        /// <summary>The end was decided but not written (fenced: no longer this worker's run, or the write failed).</summary>
        public const string NotRecorded = "not_recorded";
    }
}
