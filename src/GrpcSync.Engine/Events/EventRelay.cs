using GrpcSync.Engine.Configuration;
using GrpcSync.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Events;

/// <summary>
/// Gives committed events their global position (<see cref="IEventStore.PlaceEventsAsync"/>), batch after
/// batch while there are any, then waits for this process's next commit of events or
/// <see cref="EventOptions.RelayPollInterval"/> (other replicas' commits). Every engine replica runs it;
/// the store serialises them.
/// </summary>
public sealed partial class EventRelay(IEventStore store, TimeProvider time, IOptions<EventOptions> options, ILogger<EventRelay> logger)
    : BackgroundService
{
    private readonly EventOptions _options = options.Value;

    /// <summary>Places batches until one comes back short; returns how many events were placed.</summary>
    public async Task<long> PlaceAllAsync(CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            var placed = await store.PlaceEventsAsync(_options.RelayBatch, ct);
            total += placed;
            if (placed < _options.RelayBatch)
            {
                return total;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var seen = store.Signals.Appended.Version;
            try
            {
                await PlaceAllAsync(stoppingToken);
                await store.Signals.Appended.WaitAsync(seen, _options.RelayPollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogRelayFailed(e);
                try
                {
                    await Task.Delay(_options.RelayPollInterval, time, stoppingToken); // then retry
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Placing events failed; the relay retries")]
    private partial void LogRelayFailed(Exception e);
}
