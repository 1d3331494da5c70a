namespace GrpcSync.Storage;

/// <summary>
/// A wake-up call within one process: <see cref="Pulse"/> after something committed, <see cref="WaitAsync"/>
/// until the next one. Waiters read <see cref="Version"/> before they look at the database and wait with it,
/// so a pulse between their read and their wait is never missed. Other processes' commits do not pulse:
/// waiters also poll (each loop names its interval).
/// </summary>
public sealed class EventPulse
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;

    /// <summary>How many pulses so far.</summary>
    public long Version => Interlocked.Read(ref _version);

    public void Pulse()
    {
        Interlocked.Increment(ref _version);
        var woken = Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        woken.TrySetResult();
    }

    /// <summary>Completes at the first pulse after <paramref name="seenVersion"/> (at once if there was one), or at <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(long seenVersion, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        var next = Volatile.Read(ref _next).Task;
        if (Version != seenVersion)
        {
            return;
        }
        try
        {
            await next.WaitAsync(timeout, time, ct);
        }
        catch (TimeoutException)
        {
            // time to poll
        }
    }
}
