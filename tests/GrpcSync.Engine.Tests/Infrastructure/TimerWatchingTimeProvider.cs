using System.Collections.Concurrent;

namespace GrpcSync.Engine.Tests.Infrastructure;

/// <summary>
/// The fake clock as the engines see it, counting the timers they start by due time. A test that
/// drives the background loop waits until the loop has parked on its poll delay (a new timer of
/// PollInterval) before moving time on, so fake time never outruns the loop, however slow the machine.
/// </summary>
public sealed class TimerWatchingTimeProvider(TimeProvider inner) : TimeProvider
{
    private readonly ConcurrentDictionary<TimeSpan, int> _timersByDueTime = new();

    /// <summary>How many timers due after <paramref name="dueTime"/> were started so far.</summary>
    public int TimersStarted(TimeSpan dueTime) => _timersByDueTime.GetValueOrDefault(dueTime);

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = inner.CreateTimer(callback, state, dueTime, period);
        _timersByDueTime.AddOrUpdate(dueTime, 1, (_, n) => n + 1);
        return timer;
    }
}
