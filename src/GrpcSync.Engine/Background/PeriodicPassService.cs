using Microsoft.Extensions.Hosting;

namespace GrpcSync.Engine.Background;

/// <summary>
/// A hosted loop that runs one pass, waits <see cref="Interval"/> (on <see cref="TimeProvider"/>, so tests drive it
/// with fake time) and runs the next, until the host stops. A failed pass is reported and left to the next one:
/// housekeeping such as retention must not take the host down. The bounded steps live in the pass itself.
/// </summary>
public abstract class PeriodicPassService(TimeProvider time) : BackgroundService
{
    /// <summary>The clock the loop waits on; passes read the time from it too.</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>How long to wait after a pass (read before each wait, so it follows the options).</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>One pass; the loop calls it again after <see cref="Interval"/>.</summary>
    protected abstract Task RunPassAsync(CancellationToken ct);

    /// <summary>Reports a pass that threw (not a stop); the loop carries on.</summary>
    protected abstract void OnPassFailed(Exception e);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunPassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                OnPassFailed(e); // the next pass tries again
            }
            try
            {
                await Task.Delay(Interval, Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
