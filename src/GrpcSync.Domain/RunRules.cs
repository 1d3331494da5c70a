namespace GrpcSync.Domain;

/// <summary>
/// The run state machine in one place (pure; the store applies the changes atomically):
/// QUEUED → RUNNING (claim) → SUCCEEDED | FAILED | QUEUED (retry, rate limit, release) | CANCELLED.
/// A claim increments <see cref="SyncRun.Attempt"/>, the fencing token every later write of the
/// worker must present: once a run was cancelled, reclaimed after its lease expired, or finished,
/// the old worker's writes are refused.
/// </summary>
public static class RunRules
{
    /// <summary>
    /// The dispatcher's decision for one Sync at <paramref name="now"/>: start its due run, reclaim a
    /// run whose lease expired, or create the scheduled run when <see cref="Sync.NextRunAt"/> has come
    /// (FULL when the periodic full re-sync is due, else INCREMENTAL). Runs of one Sync never overlap,
    /// and a Sync whose run overran gets one run, not one per missed tick. Result: the started run.
    /// <para>
    /// The credential's <paramref name="budget"/> may hold the run back instead (result null, attempt and retries
    /// unchanged): while the source's hold on the credential lasts, the run is queued again due when the hold ends
    /// and the Sync shows RATE_LIMITED (<c>sync_rate_limited</c> logged), as if it had been throttled itself; while
    /// every run slot of the credential is taken, the run stays QUEUED and due, marked <see cref="RunHold.CredentialBusy"/>.
    /// </para>
    /// </summary>
    public static SyncChange<SyncRun?> Dispatch(SyncSnapshot snapshot, DateTimeOffset now, string owner, RunPolicy policy,
        CredentialBudget? budget = null)
    {
        var sync = snapshot.Sync;
        if (SyncRules.IsStopped(sync.Status))
        {
            return SyncChange<SyncRun?>.Nothing(null);
        }
        var running = snapshot.OpenRuns.FirstOrDefault(r => r.State == RunState.Running);
        if (running is not null && running.LeaseExpiresAt > now)
        {
            return SyncChange<SyncRun?>.Nothing(null); // busy: never two runs of one Sync at once
        }

        var candidate = running // its worker died: claim it again under a new attempt
            ?? snapshot.OpenRuns.Where(r => r.State == RunState.Queued && r.DueAt <= now).MinBy(r => (r.DueAt, r.CreatedAt));
        var inserted = false;
        if (candidate is null)
        {
            if (snapshot.OpenRuns.Count > 0 || sync.NextRunAt is not { } next || next > now)
            {
                return SyncChange<SyncRun?>.Nothing(null);
            }
            var fullDue = (sync.LastFullSyncAt ?? sync.CreatedAt) + policy.FullSyncEvery <= now;
            candidate = fullDue
                ? SyncRules.NewRun(sync.Id, RunType.Full, RunTrigger.Periodic, now)
                : SyncRules.NewRun(sync.Id, RunType.Incremental, RunTrigger.Schedule, now);
            inserted = true;
        }

        if (budget is not null && budget.IsHeldAt(now))
        {
            return HoldForRateLimit(sync, candidate, inserted, budget, now);
        }
        if (budget is not null && budget.IsFull)
        {
            return HoldForFreeSlot(sync, candidate, inserted, now);
        }

        var started = candidate with
        {
            Hold = null,
            State = RunState.Running,
            Attempt = candidate.Attempt + 1,
            StartedAt = now,
            LeaseOwner = owner,
            LeaseExpiresAt = now + policy.Lease,
        };
        var nextSync = sync with
        {
            Status = SyncStatus.Active,
            RateLimitBackoffMs = null,
            RateLimitedUntil = null,
            LastRunStartedAt = now,
            NextRunAt = NextRunAfterStart(sync, now),
            Version = sync.Version + 1,
            UpdatedAt = now,
        };
        var change = inserted
            ? new SyncChange<SyncRun?>(nextSync, [started], [], started)
            : new SyncChange<SyncRun?>(nextSync, [], [started], started);
        return change with { Events = SyncEvents.AnnouncesStart(started) ? [SyncEvents.RunStarted(started, now)] : [] };
    }

    /// <summary>
    /// When the Sync runs next after a run that started at <paramref name="now"/>: its first slot of the interval grid
    /// (<see cref="ScheduleGrid"/>) at least half an interval later. A run that started less than half an interval
    /// after its slot keeps the grid exactly (the next slot: its lag does not carry over); a later one (a first run, a
    /// backlog drained, an outage) lands on its own slot within one and a half intervals. So the Syncs a catch-up drained
    /// together spread over one interval again instead of coming due again as the clump they were, and starts of one
    /// Sync are never less than half an interval apart.
    /// </summary>
    public static DateTimeOffset NextRunAfterStart(Sync sync, DateTimeOffset now) =>
        ScheduleGrid.FirstSlotAtOrAfter(sync.Id, sync.Interval, now + sync.Interval / 2);

    /// <summary>
    /// The source throttled the Sync's credential (maybe through another Sync): the run waits, queued, until the hold
    /// ends — a reclaimed run too, its lease given up — and the Sync shows RATE_LIMITED with the time it resumes.
    /// Nothing is spent: no attempt (the run is not claimed), no retry.
    /// </summary>
    private static SyncChange<SyncRun?> HoldForRateLimit(Sync sync, SyncRun candidate, bool inserted, CredentialBudget budget,
        DateTimeOffset now)
    {
        var until = budget.HoldUntil!.Value;
        var held = candidate with
        {
            State = RunState.Queued,
            DueAt = until,
            Hold = RunHold.CredentialRateLimited,
            LeaseOwner = null,
            LeaseExpiresAt = null,
        };
        var backoff = until - now;
        var nextSync = sync with
        {
            Status = SyncStatus.RateLimited,
            RateLimitBackoffMs = (long)backoff.TotalMilliseconds,
            RateLimitedUntil = until,
            Version = sync.Version + 1,
            UpdatedAt = now,
        };
        var error = budget.HoldError ?? "The source throttled this Sync's credential.";
        var change = inserted
            ? new SyncChange<SyncRun?>(nextSync, [held], [], null)
            : new SyncChange<SyncRun?>(nextSync, [], [held], null);
        return change with { Events = [SyncEvents.SyncRateLimited(held, backoff, error, now)] };
    }

    /// <summary>
    /// Every run slot of the credential is taken: the run stays QUEUED and due, marked <see cref="RunHold.CredentialBusy"/>
    /// (written once; a run already marked is left alone), and starts in a later round once a slot is free. A
    /// reclaimed run gives up its dead lease and waits the same way. The Sync is unchanged, except that one whose
    /// rate-limit hold has ended no longer shows RATE_LIMITED: it waits for a slot like the others.
    /// </summary>
    private static SyncChange<SyncRun?> HoldForFreeSlot(Sync sync, SyncRun candidate, bool inserted, DateTimeOffset now)
    {
        if (!inserted && candidate.State == RunState.Queued && candidate.Hold == RunHold.CredentialBusy)
        {
            return SyncChange<SyncRun?>.Nothing(null);
        }
        // A scheduled run held back keeps its Sync's place in line: due when the Sync was due, not when it was held. Due
        // work is taken oldest first, so a run due "now" at every hold would go to the back of a backlog each time.
        var dueAt = inserted && sync.NextRunAt is { } planned && planned < candidate.DueAt ? planned : candidate.DueAt;
        var waiting = candidate with
        {
            State = RunState.Queued, Hold = RunHold.CredentialBusy, DueAt = dueAt, LeaseOwner = null, LeaseExpiresAt = null,
        };
        var nextSync = sync.Status == SyncStatus.RateLimited
            ? sync with
            {
                Status = sync.LastSyncedAt is null ? SyncStatus.Initializing : SyncStatus.Idle,
                RateLimitBackoffMs = null,
                RateLimitedUntil = null,
                Version = sync.Version + 1,
                UpdatedAt = now,
            }
            : null;
        return inserted
            ? new SyncChange<SyncRun?>(nextSync, [waiting], [], null)
            : new SyncChange<SyncRun?>(nextSync, [], [waiting], null);
    }

    /// <summary>
    /// A worker reports how its run ended. Refused (<see cref="FinishResult.Fenced"/>, nothing written)
    /// unless the run is still RUNNING under the worker's <paramref name="attempt"/>. <paramref name="counts"/> is
    /// what the attempt changed in the records, reported in <c>run_finished</c>.
    /// </summary>
    public static SyncChange<FinishResult> Finish(SyncSnapshot snapshot, Guid runId, int attempt, RunOutcome outcome,
        DateTimeOffset now, RunPolicy policy, RunCounts? counts = null)
    {
        var sync = snapshot.Sync;
        var run = snapshot.OpenRuns.FirstOrDefault(r => r.Id == runId);
        if (run is null || run.State != RunState.Running || run.Attempt != attempt)
        {
            return SyncChange<FinishResult>.Nothing(new FinishResult(true, null));
        }

        var waiting = sync.LastSyncedAt is null ? SyncStatus.Initializing : SyncStatus.Idle;
        var changedNothing = RunHistory.ChangedNothing(run, outcome, counts);
        SyncRun Succeeded(SyncRun ended) => changedNothing ? RunHistory.AsStreakOfOne(ended) : ended;
        var released = run with { State = RunState.Queued, LeaseOwner = null, LeaseExpiresAt = null };
        var (nextRun, nextSync) = outcome switch
        {
            RunOutcome.Succeeded ok => (
                Succeeded(run with { State = RunState.Succeeded, FinishedAt = now, Error = null, LeaseOwner = null, LeaseExpiresAt = null }),
                sync with
                {
                    Status = SyncStatus.Idle,
                    Reason = null,
                    LastSyncedAt = now,
                    SourceCursor = ok.SourceCursor ?? sync.SourceCursor,
                    LastFullSyncAt = run.Type is RunType.Initial or RunType.Full ? now : sync.LastFullSyncAt,
                    NextRunAt = Later(sync.NextRunAt, now),
                }),
            RunOutcome.TransientFailure failure when run.Retries < policy.MaxRetries => (
                released with { DueAt = now + Backoff(run, policy), Retries = run.Retries + 1, Error = failure.Error },
                sync with { Status = waiting }),
            RunOutcome.TransientFailure failure => (
                run with { State = RunState.Failed, FinishedAt = now, Error = failure.Error, LeaseOwner = null, LeaseExpiresAt = null },
                sync with { Status = waiting, NextRunAt = Later(sync.NextRunAt, now) }),
            RunOutcome.RateLimited limited => (
                released with { DueAt = now + limited.Backoff, Error = limited.Error, Hold = RunHold.CredentialRateLimited },
                sync with
                {
                    Status = SyncStatus.RateLimited,
                    RateLimitBackoffMs = (long)limited.Backoff.TotalMilliseconds,
                    RateLimitedUntil = now + limited.Backoff,
                }),
            RunOutcome.PermanentFailure permanent => (
                run with { State = RunState.Failed, FinishedAt = now, Error = permanent.Reason, LeaseOwner = null, LeaseExpiresAt = null },
                sync with { Status = SyncStatus.Errored, Reason = permanent.Reason, NextRunAt = null }),
            RunOutcome.Released => (released with { DueAt = now }, sync with { Status = waiting }),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome."),
        };
        nextSync = nextSync with { Version = sync.Version + 1, UpdatedAt = now };
        return new SyncChange<FinishResult>(nextSync, [], [nextRun], new FinishResult(false, nextRun))
        {
            FoldIntoHistory = changedNothing ? nextRun : null,
            Events = changedNothing && !SyncEvents.AnnouncesStart(run)
                ? [] // a quiet run that changed nothing: nothing to report (SyncEvents.AnnouncesStart)
                : FinishEvents(run, nextRun, nextSync, outcome, counts ?? RunCounts.None, now),
            // The source throttles the credential, not this Sync: every Sync on it waits as long (Dispatch).
            CredentialHold = outcome is RunOutcome.RateLimited rateLimited && sync.CredentialId is { } credentialId
                ? new CredentialHold(credentialId, now + rateLimited.Backoff, rateLimited.Error)
                : null,
        };
    }

    /// <summary>
    /// What a finish announces: run_finished once the run has ended (not when it is queued again), with
    /// sync_complete after a successful INITIAL run, sync_errored when the Sync stops, sync_rate_limited; a quiet run's
    /// run_started goes just before its run_finished (<see cref="SyncEvents.LateStart"/>).
    /// </summary>
    private static SyncEvent[] FinishEvents(SyncRun run, SyncRun nextRun, Sync nextSync, RunOutcome outcome, RunCounts counts,
        DateTimeOffset now)
    {
        var events = EndEvents(run, nextRun, nextSync, outcome, counts, now);
        return events.Length > 0 && events[0].Type == EventTypes.RunFinished ? [.. SyncEvents.LateStart(run), .. events] : events;
    }

    private static SyncEvent[] EndEvents(SyncRun run, SyncRun nextRun, Sync nextSync, RunOutcome outcome, RunCounts counts,
        DateTimeOffset now) => outcome switch
    {
        RunOutcome.Succeeded when run.Type == RunType.Initial =>
            [SyncEvents.RunFinished(nextRun, counts, now), SyncEvents.SyncComplete(nextSync, now)],
        RunOutcome.PermanentFailure permanent =>
            [SyncEvents.RunFinished(nextRun, counts, now), SyncEvents.SyncErrored(permanent.Code, permanent.Reason, now)],
        RunOutcome.RateLimited limited => [SyncEvents.SyncRateLimited(run, limited.Backoff, limited.Error, now)],
        _ when nextRun.State is RunState.Succeeded or RunState.Failed => [SyncEvents.RunFinished(nextRun, counts, now)],
        _ => [],
    };

    /// <summary>
    /// TriggerSync: queue an INCREMENTAL or FULL run due now. If an equal run (same type) is already
    /// queued or running, that run is the answer: triggering is idempotent, never a conflict.
    /// </summary>
    public static SyncChange<SyncRun> Trigger(SyncSnapshot snapshot, RunType type, DateTimeOffset now)
    {
        if (type is not (RunType.Incremental or RunType.Full))
        {
            throw DomainException.Invalid("type", "type must be INCREMENTAL or FULL.");
        }
        var sync = snapshot.Sync;
        if (SyncRules.IsStopped(sync.Status))
        {
            throw new DomainException(ErrorKind.FailedPrecondition, "SYNC_STOPPED",
                $"The Sync is {sync.Status.ToString().ToUpperInvariant()}; re-enable it before triggering runs.");
        }
        if (snapshot.OpenRuns.FirstOrDefault(r => r.Type == type) is { } existing)
        {
            return SyncChange<SyncRun>.Nothing(existing);
        }
        var run = SyncRules.NewRun(sync.Id, type, RunTrigger.Manual, now);
        return new SyncChange<SyncRun>(sync with { Version = sync.Version + 1, UpdatedAt = now }, [run], [], run);
    }

    /// <summary>CancelSyncRun: an open run becomes CANCELLED (its worker notices at its next lease renewal).</summary>
    public static SyncChange<SyncRun> Cancel(SyncSnapshot snapshot, Guid runId, DateTimeOffset now)
    {
        var run = snapshot.OpenRuns.FirstOrDefault(r => r.Id == runId)
            ?? throw new DomainException(ErrorKind.FailedPrecondition, "RUN_NOT_OPEN",
                $"Run {runId} is not queued or running (finished runs cannot be cancelled).");
        var cancelled = run with
        {
            State = RunState.Cancelled,
            FinishedAt = now,
            Error = "Cancelled by request.",
            LeaseOwner = null,
            LeaseExpiresAt = null,
        };
        var sync = snapshot.Sync;
        var status = run.State == RunState.Running && sync.Status is SyncStatus.Active or SyncStatus.RateLimited
            ? (sync.LastSyncedAt is null ? SyncStatus.Initializing : SyncStatus.Idle)
            : sync.Status;
        var nextSync = sync with { Status = status, Version = sync.Version + 1, UpdatedAt = now };
        return new SyncChange<SyncRun>(nextSync, [], [cancelled], cancelled)
        {
            Events = [.. SyncEvents.CancelledRuns(snapshot.OpenRuns, [cancelled], now)],
        };
    }

    /// <summary>Exponential backoff with jitter: base × 2^retries, capped, times a factor in [0.5, 1.5].</summary>
    public static TimeSpan Backoff(SyncRun run, RunPolicy policy)
    {
        var exponential = policy.RetryBaseDelay * Math.Pow(2, Math.Min(run.Retries, 20));
        var capped = exponential < policy.RetryMaxDelay ? exponential : policy.RetryMaxDelay;
        // Deterministic per (run, retry) — stable across processes, unlike HashCode — so tests can
        // predict it, while different runs spread out.
        var seed = BitConverter.ToUInt32(run.Id.ToByteArray(), 12) ^ unchecked((uint)(run.Retries + 1) * 2654435761u);
        var jitter = 0.5 + seed / (double)uint.MaxValue;
        return capped * jitter;
    }

    /// <summary>The next run never lies in the past: an overrun skips ticks instead of piling them up.</summary>
    private static DateTimeOffset Later(DateTimeOffset? planned, DateTimeOffset now) =>
        planned is { } p && p > now ? p : now;
}
