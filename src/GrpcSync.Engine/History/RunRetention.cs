using GrpcSync.Engine.Background;
using GrpcSync.Engine.Configuration;
using GrpcSync.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.History;

/// <summary>
/// Deletes run history older than <see cref="EngineOptions.RunRetention"/> (each Sync's newest 20 entries are always
/// kept) every <see cref="EngineOptions.RunRetentionInterval"/>. A pass walks the history once in steps of
/// <see cref="EngineOptions.RunRetentionBatch"/> entries, each one short transaction, yielding between them, so the
/// dispatcher and the finish writer never wait behind a long delete. Its own loop, beside the engine's: a slow pass
/// delays nothing but itself. Several replicas may run it at once: each step deletes what is still there.
/// </summary>
public sealed partial class RunRetention(IRunHistoryStore store, TimeProvider time, IOptions<EngineOptions> options,
    ILogger<RunRetention> logger) : PeriodicPassService(time)
{
    private readonly EngineOptions _options = options.Value;

    /// <summary>One pass: steps until the walk reaches the cutoff. Returns how many entries were deleted.</summary>
    public async Task<long> PurgeExpiredAsync(CancellationToken ct)
    {
        var cutoff = Time.GetUtcNow() - _options.RunRetention;
        long total = 0;
        Guid? after = null;
        do
        {
            var step = await store.TrimRunHistoryAsync(cutoff, after, _options.RunRetentionBatch, ct);
            total += step.Deleted;
            after = step.Next;
            await Task.Yield(); // between steps, other writers get the store
        }
        while (after is not null);
        if (total > 0)
        {
            LogPurged(total, cutoff);
        }
        return total;
    }

    protected override TimeSpan Interval => _options.RunRetentionInterval;

    protected override Task RunPassAsync(CancellationToken ct) => PurgeExpiredAsync(ct);

    protected override void OnPassFailed(Exception e) => LogPurgeFailed(e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} run history entries last started before {Cutoff:O} (retention)")]
    private partial void LogPurged(long count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old run history failed; the next pass retries")]
    private partial void LogPurgeFailed(Exception e);
}
