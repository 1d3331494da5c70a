namespace GrpcSync.Domain;

/// <summary>
/// The rules of the Sync lifecycle in one place: what enable, update, disable and re-enable change
/// and which runs they queue, which repeated enable is a retry, which credential is the default and
/// when a Sync may be re-enabled. Pure functions of (current state, command, now).
/// </summary>
public static class SyncRules
{
    /// <summary>Statuses in which nothing is scheduled; changes are stored and apply on re-enable.</summary>
    public static bool IsStopped(SyncStatus status) => status is SyncStatus.Disabled or SyncStatus.Errored;

    /// <summary>A new Sync in INITIALIZING with its INITIAL run queued, due now.</summary>
    public static (Sync Sync, SyncRun InitialRun) Enable(
        Scope scope, string integration, string pipeline, string configurationName, string configurationJson,
        Guid credentialId, string? frequency, DateTimeOffset now)
    {
        var sync = new Sync
        {
            Id = NameBasedGuid.ForSync(scope, integration, pipeline, configurationName),
            ProjectId = scope.ProjectId,
            UserId = scope.UserId,
            Integration = integration,
            Pipeline = pipeline,
            ConfigurationName = configurationName,
            ConfigurationJson = configurationJson,
            CredentialId = credentialId,
            Frequency = frequency,
            Status = SyncStatus.Initializing,
            Version = 1,
            // Any value but the earlier lives' will do; 63 random bits make a repeat practically impossible.
            Incarnation = Random.Shared.NextInt64(1, long.MaxValue),
            CreatedAt = now,
            UpdatedAt = now,
        };
        sync = sync with { NextRunAt = PlanNextRun(sync, now) };
        return (sync, NewRun(sync.Id, RunType.Initial, RunTrigger.Enable, now));
    }

    /// <summary>
    /// EnableSync of a combination that already exists (same name-based id) is a safe retry only when it
    /// asks for the same thing: the same configuration, and a credential and frequency that are either not
    /// given or the existing ones. Anything else is SYNC_ALREADY_EXISTS (UpdateSync changes a Sync).
    /// </summary>
    public static void EnsureRepeatedEnable(Sync existing, Sync requested, Guid? requestedCredentialId, string? requestedFrequency)
    {
        var repeat = existing.ConfigurationJson == requested.ConfigurationJson
            && (requestedCredentialId is null || requestedCredentialId == existing.CredentialId)
            && (requestedFrequency is null || requestedFrequency == existing.Frequency);
        if (!repeat)
        {
            throw new DomainException(ErrorKind.AlreadyExists, "SYNC_ALREADY_EXISTS",
                $"A Sync for {requested.Integration}/{requested.Pipeline} named '{requested.ConfigurationName}' already exists ({existing.Id}) with a different " +
                "configuration, credential or frequency. Use UpdateSync (PATCH) to change credential or frequency, or another configurationName.");
        }
    }

    /// <summary>
    /// Without a credentialId, EnableSync binds the user's oldest live credential of the integration
    /// (the first of equally old ones as listed); NO_CREDENTIAL when there is none.
    /// </summary>
    public static Credential DefaultCredential(IReadOnlyList<Credential> credentials, string integration) =>
        credentials.Where(c => c.Integration == integration && c.DeletedAt is null).MinBy(c => c.CreatedAt)
        ?? throw new DomainException(ErrorKind.FailedPrecondition, "NO_CREDENTIAL",
            $"The user has no credential for integration '{integration}'. Create one (POST /api/credentials) first.");

    /// <summary>
    /// A stopped Sync is re-enabled only with a live credential: <paramref name="boundCredential"/> is the
    /// Sync's credential as the store has it (null when unbound or deleted). A running Sync needs no check
    /// (re-enabling it changes nothing).
    /// </summary>
    public static void EnsureCanReenable(Sync sync, Credential? boundCredential)
    {
        var live = boundCredential is { DeletedAt: null } && boundCredential.Id == sync.CredentialId;
        if (IsStopped(sync.Status) && !live)
        {
            throw new DomainException(ErrorKind.FailedPrecondition, "CREDENTIAL_GONE",
                $"The Sync's credential {sync.CredentialId} no longer exists; bind another one with UpdateSync (credentialId) first.");
        }
    }

    /// <summary>
    /// The next incremental run: one interval after the last run started (or after enable, before any
    /// run started), never in the past.
    /// </summary>
    public static DateTimeOffset PlanNextRun(Sync sync, DateTimeOffset now)
    {
        var planned = (sync.LastRunStartedAt ?? sync.CreatedAt) + sync.Interval;
        return planned < now ? now : planned;
    }

    /// <summary>
    /// UpdateSync. A frequency change re-plans <see cref="Sync.NextRunAt"/> and leaves runs alone.
    /// A different credential rebinds and queues one FULL run (credential change), unless one is
    /// already queued: two quick changes leave one pending FULL run. The same credential queues nothing.
    /// </summary>
    public static SyncChange<UpdateOutcome> Update(SyncSnapshot snapshot, UpdateSyncCommand command, DateTimeOffset now)
    {
        var current = snapshot.Sync;
        if (command.ExpectedETag is { } expected && ETags.Normalize(expected) != current.ETag)
        {
            throw new DomainException(ErrorKind.Aborted, "ETAG_MISMATCH",
                "The Sync was changed since the etag was read; get it again and retry.");
        }

        var next = current;
        if (command.Frequency is { } frequency && frequency != current.Frequency)
        {
            next = next with { Frequency = frequency };
            if (!IsStopped(next.Status))
            {
                next = next with { NextRunAt = PlanNextRun(next, now) };
            }
        }

        SyncRun? fullRun = null;
        if (command.CredentialId is { } credentialId && credentialId != current.CredentialId)
        {
            next = next with { CredentialId = credentialId };
            if (current.Status == SyncStatus.Errored && current.Reason == CredentialRejectedReason)
            {
                // Re-authenticated: the new credential is what the Sync was waiting for, so it resumes at once
                // (its FULL run below reconciles with the account) instead of waiting for a re-enable.
                next = next with
                {
                    Status = current.LastSyncedAt is null ? SyncStatus.Initializing : SyncStatus.Idle,
                    Reason = null,
                    NextRunAt = PlanNextRun(current, now),
                };
            }
            var alreadyQueued = snapshot.OpenRuns.Any(r =>
                r.State == RunState.Queued && r.Type == RunType.Full && r.Trigger == RunTrigger.CredentialChange);
            if (!alreadyQueued)
            {
                // Queued even when the Sync is stopped: the dispatcher skips stopped Syncs, so it
                // runs when the Sync is re-enabled, reconciling with the new account then.
                fullRun = NewRun(current.Id, RunType.Full, RunTrigger.CredentialChange, now);
            }
        }

        if (next == current)
        {
            return SyncChange<UpdateOutcome>.Nothing(new UpdateOutcome(false, null));
        }
        next = next with { Version = current.Version + 1, UpdatedAt = now };
        return new SyncChange<UpdateOutcome>(next, fullRun is null ? [] : [fullRun], [], new UpdateOutcome(true, fullRun))
        {
            Events = [SyncEvents.SyncUpdated(current, next, command.ChangedBy ?? current.UserId, now)],
        };
    }

    /// <summary>DisableSync: stop scheduling and cancel open runs. Idempotent.</summary>
    public static SyncChange<Sync> Disable(SyncSnapshot snapshot, DateTimeOffset now)
    {
        var current = snapshot.Sync;
        if (current.Status == SyncStatus.Disabled)
        {
            return SyncChange<Sync>.Nothing(current);
        }
        var next = current with
        {
            Status = SyncStatus.Disabled,
            NextRunAt = null,
            RateLimitBackoffMs = null,
            RateLimitedUntil = null,
            Version = current.Version + 1,
            UpdatedAt = now,
        };
        // A queued reconcile after a credential change survives the disable, so the new account is
        // still reconciled on re-enable; one that was running is cancelled and queued again.
        static bool IsReconcile(SyncRun r) => r.Type == RunType.Full && r.Trigger == RunTrigger.CredentialChange;
        var cancelled = snapshot.OpenRuns
            .Where(r => r.State == RunState.Running || !IsReconcile(r))
            .Select(r => r with { State = RunState.Cancelled, FinishedAt = now, Error = "Cancelled: the Sync was disabled.", LeaseOwner = null, LeaseExpiresAt = null })
            .ToArray();
        var requeue = cancelled.Any(IsReconcile) && !snapshot.OpenRuns.Any(r => r.State == RunState.Queued && IsReconcile(r))
            ? new[] { NewRun(current.Id, RunType.Full, RunTrigger.CredentialChange, now) }
            : [];
        return new SyncChange<Sync>(next, requeue, cancelled, next)
        {
            Events = [SyncEvents.SyncDisabled(current, now), .. SyncEvents.CancelledRuns(snapshot.OpenRuns, cancelled, now)],
        };
    }

    /// <summary>
    /// ReenableSync: a DISABLED or ERRORED Sync resumes from its stored cursor with an incremental run
    /// due now (an INITIAL run if it never completed one). Re-enabling a running Sync changes nothing.
    /// </summary>
    public static SyncChange<Sync> Reenable(SyncSnapshot snapshot, DateTimeOffset now)
    {
        var current = snapshot.Sync;
        if (!IsStopped(current.Status))
        {
            return SyncChange<Sync>.Nothing(current);
        }
        var neverCompleted = current.LastSyncedAt is null;
        var next = current with
        {
            Status = neverCompleted ? SyncStatus.Initializing : SyncStatus.Idle,
            Reason = null,
            RateLimitBackoffMs = null,
            RateLimitedUntil = null,
            NextRunAt = now,
            Version = current.Version + 1,
            UpdatedAt = now,
        };
        var runs = new List<SyncRun>();
        if (neverCompleted && !snapshot.OpenRuns.Any(r => r.Type == RunType.Initial))
        {
            runs.Add(NewRun(current.Id, RunType.Initial, RunTrigger.Enable, now));
        }
        return new SyncChange<Sync>(next, runs, [], next) { Events = [SyncEvents.SyncReenabled(next, now)] };
    }

    /// <summary>
    /// A credential was deleted: the Sync stops with ERRORED and the reference's reason; its open
    /// (queued or running) runs are cancelled.
    /// </summary>
    public static SyncChange<Sync> CredentialDeleted(SyncSnapshot snapshot, Guid credentialId, DateTimeOffset now)
    {
        var current = snapshot.Sync;
        var next = current with
        {
            Status = SyncStatus.Errored,
            Reason = CredentialGoneReason(credentialId),
            NextRunAt = null,
            Version = current.Version + 1,
            UpdatedAt = now,
        };
        var cancelled = snapshot.OpenRuns
            .Select(r => r with { State = RunState.Cancelled, FinishedAt = now, Error = "Cancelled: the credential was deleted.", LeaseOwner = null, LeaseExpiresAt = null })
            .ToArray();
        return new SyncChange<Sync>(next, [], cancelled, next)
        {
            Events =
            [
                .. SyncEvents.CancelledRuns(snapshot.OpenRuns, cancelled, now),
                SyncEvents.SyncErrored(SyncEvents.CredentialDeletedCode, next.Reason!, now),
            ],
        };
    }

    /// <summary>Paragon's reason for a Sync whose credential the source rejected for good.</summary>
    public const string CredentialRejectedReason =
        "Credentials are no longer valid. Please re-authenticate the user and bind the new credential to the Sync (PATCH credentialId).";

    /// <summary>
    /// The source rejected the Sync's credential for good (OAuth <c>invalid_grant</c>): the Sync stops with ERRORED,
    /// <see cref="CredentialRejectedReason"/> and a <c>sync_errored</c> event (code <c>CREDENTIAL_REJECTED</c>); its open
    /// runs are cancelled. Binding another credential (<see cref="Update"/>) resumes it.
    /// </summary>
    public static SyncChange<Sync> CredentialRejected(SyncSnapshot snapshot, DateTimeOffset now)
    {
        var current = snapshot.Sync;
        if (current.Status == SyncStatus.Errored && current.Reason == CredentialRejectedReason && snapshot.OpenRuns.Count == 0)
        {
            return SyncChange<Sync>.Nothing(current);
        }
        var next = current with
        {
            Status = SyncStatus.Errored,
            Reason = CredentialRejectedReason,
            NextRunAt = null,
            RateLimitBackoffMs = null,
            RateLimitedUntil = null,
            Version = current.Version + 1,
            UpdatedAt = now,
        };
        var cancelled = snapshot.OpenRuns
            .Select(r => r with { State = RunState.Cancelled, FinishedAt = now, Error = "Cancelled: the credential was rejected by the source.", LeaseOwner = null, LeaseExpiresAt = null })
            .ToArray();
        return new SyncChange<Sync>(next, [], cancelled, next)
        {
            Events =
            [
                .. SyncEvents.CancelledRuns(snapshot.OpenRuns, cancelled, now),
                SyncEvents.SyncErrored(SyncEvents.CredentialRejectedCode, CredentialRejectedReason, now),
            ],
        };
    }

    public static string CredentialGoneReason(Guid credentialId) =>
        $"Credential ID [{credentialId}] is no longer valid or has been deleted.";

    public static SyncRun NewRun(Guid syncId, RunType type, RunTrigger trigger, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        SyncId = syncId,
        Type = type,
        Trigger = trigger,
        State = RunState.Queued,
        CreatedAt = now,
        DueAt = now,
    };
}
