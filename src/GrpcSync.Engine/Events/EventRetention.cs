using GrpcSync.Engine.Background;
using GrpcSync.Engine.Configuration;
using GrpcSync.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Events;

/// <summary>
/// Deletes events older than <see cref="EventOptions.Retention"/> every <see cref="EventOptions.RetentionInterval"/>,
/// one bounded batch (one short transaction) at a time, so neither the engine nor the API waits behind a
/// long delete. Several replicas may run it at once: each batch deletes what is still there.
/// </summary>
public sealed partial class EventRetention(IEventStore store, TimeProvider time, IOptions<EventOptions> options, ILogger<EventRetention> logger)
    : PeriodicPassService(time)
{
    private readonly EventOptions _options = options.Value;

    /// <summary>One pass: batches until one comes back short. Returns how many events were deleted.</summary>
    public async Task<long> PurgeExpiredAsync(CancellationToken ct)
    {
        var cutoff = Time.GetUtcNow() - _options.Retention;
        long total = 0;
        while (true)
        {
            var deleted = await store.DeleteEventsBeforeAsync(cutoff, _options.RetentionBatch, ct);
            total += deleted;
            if (deleted < _options.RetentionBatch)
            {
                break;
            }
            await Task.Yield(); // between batches, other writers get the store
        }
        if (total > 0)
        {
            LogPurged(total, cutoff);
        }
        return total;
    }

    protected override TimeSpan Interval => _options.RetentionInterval;

    protected override Task RunPassAsync(CancellationToken ct) => PurgeExpiredAsync(ct);

    protected override void OnPassFailed(Exception e) => LogPurgeFailed(e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} events logged before {Cutoff:O} (retention)")]
    private partial void LogPurged(long count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting expired events failed; the next pass retries")]
    private partial void LogPurgeFailed(Exception e);
}
