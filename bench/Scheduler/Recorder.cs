using GrpcSync.Domain;

namespace GrpcSync.SchedulerBench;

/// <summary>
/// What the server process observes, fed by <see cref="MeasuringEngineStore"/> (claims) and
/// <see cref="NoopConnector"/> (worker start). For every started run of a Sync whose decision created a
/// scheduled run, the due time is the Sync's <c>next_run_at</c> as the dispatcher read it (the run's own
/// <c>due_at</c> is the dispatch moment, so it cannot serve). Three lags per run, all against that due time:
/// <list type="bullet">
/// <item><b>claim</b>: the run's <c>started_at</c> (the dispatch round's <c>now</c>, taken before the claim transaction);</item>
/// <item><b>commit</b>: when <c>DispatchAsync</c> returned (claim committed);</item>
/// <item><b>source</b>: when the worker called the connector (after its credential read) — the real start.</item>
/// </list>
/// </summary>
internal sealed class Recorder
{
    private readonly long[] _plannedMs; // by Sync index; 0 = not a scheduled run
    private readonly int[] _sourceSeen; // by Sync index: 1 once its worker reached the connector
    private readonly Lock _gate = new();
    private readonly long _t0;
    private readonly long _windowStart;
    private readonly long _windowEnd;
    private readonly int[] _startedPerSecond = new int[7200];

    private readonly List<float> _claim = [];
    private readonly List<float> _commit = [];
    private readonly List<float> _source = [];
    // Catch-up: first runs of Syncs planned (by the bench) at or after the restart (t0), with when they were claimed.
    private readonly List<(long StartedMs, float ClaimLag)> _onTime = [];
    private readonly List<(long CalledMs, float SourceLag)> _onTimeSource = [];
    // Catch-up: runs the engine planned due in the second minute after the restart, [t0 + 60 s, t0 + 120 s): the
    // drained Syncs come due again there (re-phased, RunRules.NextRunAfterStart), with the on-time ones.
    private readonly List<float> _secondMinute = [];
    private readonly int[] _secondMinuteDuePer10s = new int[6];

    private long _scheduledStarted;
    private long _otherStarted;
    private long _windowStarted;
    private long _overdueDispatched;
    private long _lastOverdueStartMs;
    private long _sourceCalls;

    public Recorder(int syncs, long t0Ms, long windowStartMs, long windowEndMs, long overdueTotal)
    {
        _plannedMs = new long[syncs];
        _sourceSeen = new int[syncs];
        _t0 = t0Ms;
        _windowStart = windowStartMs;
        _windowEnd = windowEndMs;
        OverdueTotal = overdueTotal;
    }

    public long OverdueTotal { get; }

    public long OverdueDispatched => Interlocked.Read(ref _overdueDispatched);

    public long LastOverdueStartMs => Interlocked.Read(ref _lastOverdueStartMs);

    public long ScheduledStarted => Interlocked.Read(ref _scheduledStarted);

    public long OtherStarted => Interlocked.Read(ref _otherStarted);

    public long WindowStarted => Interlocked.Read(ref _windowStarted);

    public long SourceCalls => Interlocked.Read(ref _sourceCalls);

    public int[] StartedPerSecond => _startedPerSecond;

    /// <summary>A run was claimed (its claim transaction committed at <paramref name="committedMs"/>).</summary>
    public void OnClaimed(int index, SyncRun run, DateTimeOffset? plannedAt, long committedMs)
    {
        var startedMs = run.StartedAt!.Value.ToUnixTimeMilliseconds();
        var second = (int)((startedMs - _t0) / 1000);
        if (second >= 0 && second < _startedPerSecond.Length)
        {
            Interlocked.Increment(ref _startedPerSecond[second]);
        }
        if (plannedAt is not { } planned || index < 0 || index >= _plannedMs.Length)
        {
            Interlocked.Increment(ref _otherStarted);
            return;
        }
        Interlocked.Increment(ref _scheduledStarted);
        var plannedMs = planned.ToUnixTimeMilliseconds();
        // The Sync's first run in this process has the due time the bench planned; later ones were planned by the engine.
        var first = Interlocked.Exchange(ref _plannedMs[index], plannedMs) == 0;
        var claimLag = (float)(run.StartedAt!.Value - planned).TotalMilliseconds;
        var commitLag = (float)(committedMs - plannedMs);

        if (plannedMs < _t0)
        {
            Interlocked.Increment(ref _overdueDispatched);
            InterlockedMax(ref _lastOverdueStartMs, startedMs);
        }
        lock (_gate)
        {
            if (startedMs >= _windowStart && startedMs < _windowEnd)
            {
                _windowStarted++;
                _claim.Add(claimLag);
                _commit.Add(commitLag);
            }
            if (plannedMs >= _t0 && first)
            {
                _onTime.Add((startedMs, claimLag));
            }
            if (!first && plannedMs >= _t0 + 60_000 && plannedMs < _t0 + 120_000)
            {
                _secondMinute.Add(claimLag);
                _secondMinuteDuePer10s[(plannedMs - _t0 - 60_000) / 10_000]++;
            }
        }
    }

    /// <summary>Claim lags of the engine-planned runs due in [t0 + 60 s, t0 + 120 s) (catch-up).</summary>
    public Summary SecondMinuteClaimLag() { lock (_gate) return Summary.Of(_secondMinute); }

    /// <summary>How many of those were due in each ten seconds of that minute: one clump, or spread.</summary>
    public int[] SecondMinuteDuePer10s() { lock (_gate) return [.. _secondMinuteDuePer10s]; }

    /// <summary>The worker of Sync <paramref name="index"/> reached the connector.</summary>
    public void OnSourceCalled(int index)
    {
        Interlocked.Increment(ref _sourceCalls);
        if (index < 0 || index >= _plannedMs.Length)
        {
            return;
        }
        var plannedMs = Volatile.Read(ref _plannedMs[index]);
        if (plannedMs == 0)
        {
            return;
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var lag = (float)(now - plannedMs);
        var first = Interlocked.Exchange(ref _sourceSeen[index], 1) == 0;
        lock (_gate)
        {
            if (now >= _windowStart && now < _windowEnd)
            {
                _source.Add(lag);
            }
            if (plannedMs >= _t0 && first)
            {
                _onTimeSource.Add((now, lag));
            }
        }
    }

    public Summary ClaimLag() { lock (_gate) return Summary.Of(_claim); }

    public Summary CommitLag() { lock (_gate) return Summary.Of(_commit); }

    public Summary SourceLag() { lock (_gate) return Summary.Of(_source); }

    /// <summary>Claim lags of on-time runs (due at or after t0) claimed in [fromMs, toMs).</summary>
    public Summary OnTimeClaimLag(long fromMs, long toMs)
    {
        lock (_gate)
        {
            return Summary.Of(_onTime.Where(o => o.StartedMs >= fromMs && o.StartedMs < toMs).Select(o => o.ClaimLag).ToList());
        }
    }

    public Summary OnTimeSourceLag(long fromMs, long toMs)
    {
        lock (_gate)
        {
            return Summary.Of(_onTimeSource.Where(o => o.CalledMs >= fromMs && o.CalledMs < toMs).Select(o => o.SourceLag).ToList());
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}

/// <summary>Exact order statistics of a sample (milliseconds).</summary>
internal sealed record Summary(long Count, double P50, double P90, double P99, double Max, double Mean)
{
    public static readonly Summary Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    public static Summary Of(List<float> values)
    {
        if (values.Count == 0)
        {
            return Empty;
        }
        var sorted = values.ToArray();
        Array.Sort(sorted);
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Summary(sorted.Length, At(0.50), At(0.90), At(0.99), sorted[^1], sorted.Average(v => (double)v));
    }
}
