using GrpcSync.Connectors;

namespace GrpcSync.Engine.Budgets;

/// <summary>
/// A token bucket on the injected clock: <c>rate</c> tokens a second, holding at most one second's worth (the burst).
/// A caller that finds it empty takes its token on credit and waits until the token would have come, so waiters are
/// served in arrival order and the rate holds however many wait.
/// </summary>
public sealed class TokenBucket : IRequestGate
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly double _rate;
    private readonly double _capacity;
    private double _tokens;
    private long _refilledAt;

    public TokenBucket(double requestsPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        ArgumentNullException.ThrowIfNull(time);
        _rate = requestsPerSecond;
        _capacity = Math.Max(1, requestsPerSecond);
        _time = time;
        _tokens = _capacity;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>Tokens in the bucket now (negative: owed to callers already waiting).</summary>
    public double Tokens
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _tokens;
            }
        }
    }

    public async ValueTask WaitAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        TimeSpan wait;
        lock (_lock)
        {
            Refill();
            _tokens -= 1;
            if (_tokens >= 0)
            {
                return;
            }
            wait = TimeSpan.FromSeconds(-_tokens / _rate);
        }
        await Task.Delay(wait, _time, ct);
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_refilledAt, now);
        _refilledAt = now;
        _tokens = Math.Min(_capacity, _tokens + elapsed.TotalSeconds * _rate);
    }
}
