using System.Diagnostics.Metrics;
using GrpcSync.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Engine.Telemetry;

/// <summary>
/// The <c>grpcsync.syncs</c> gauge (tag <c>status</c>): Syncs in each status, store-wide. The count is one
/// aggregate query, so this loop reads it every <see cref="Interval"/> (15 s by default) and the gauge's callback
/// only hands out the last answer: a scrape never waits for, or causes, a store call. Before the first read the
/// gauge reports nothing; a failed read keeps the previous counts (and is logged).
/// Every replica reports the same store-wide numbers: aggregate them with <c>max</c>, not <c>sum</c>.
/// </summary>
public sealed partial class SyncStatusGauge : BackgroundService
{
    private readonly ISyncStatusCounts _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Measurement<long>[] _last = []; // replaced whole, read without a lock

    public SyncStatusGauge(ISyncStatusCounts store, EngineMetrics metrics, TimeProvider time, TimeSpan interval,
        ILogger<SyncStatusGauge> logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "The Sync count interval must be positive.");
        }
        _store = store;
        _time = time;
        _logger = logger;
        Interval = interval;
        metrics.Meter.CreateObservableGauge<long>("grpcsync.syncs", () => Volatile.Read(ref _last), "{sync}",
            "Syncs in each status, across all projects (read from the store at most every 15 s; the same on every replica).");
    }

    /// <summary>How often the store is asked.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Reads the counts once now (the loop's step; tests call it directly).</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var counts = await _store.CountSyncsByStatusAsync(ct);
        var measurements = new Measurement<long>[counts.Count];
        var i = 0;
        foreach (var (status, count) in counts.OrderBy(c => c.Key))
        {
            measurements[i++] = new Measurement<long>(count, new KeyValuePair<string, object?>("status", TelemetryNames.Of(status)));
        }
        Volatile.Write(ref _last, measurements);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, _time);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogCountFailed(e); // the store may be briefly unreachable: the previous counts stay
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Counting Syncs by status for the grpcsync.syncs gauge failed; keeping the last counts")]
    private partial void LogCountFailed(Exception e);
}
