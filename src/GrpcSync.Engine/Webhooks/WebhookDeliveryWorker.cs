using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using GrpcSync.Domain.Webhooks;
using GrpcSync.Engine.Configuration;
using GrpcSync.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Webhooks;

/// <summary>
/// Sends webhook deliveries (every engine replica runs one). It claims due deliveries with a lease (no other
/// worker sends them meanwhile; a dead worker's are due again when the lease ends), sends each, and writes the
/// outcomes in batches, fenced by the lease. Sending is bounded overall (<see cref="WebhookOptions.MaxConcurrency"/>)
/// and per endpoint (<see cref="WebhookOptions.MaxConcurrencyPerEndpoint"/>); claims take at most
/// <see cref="WebhookOptions.PrefetchPerEndpoint"/> of a fast endpoint and only its sending slots' worth of a slow
/// (or not yet measured) one, and leave out endpoints with enough in hand, so a slow endpoint holds only its own
/// few slots. Wakes on this process's relay placements, when slots free up, or every <see cref="WebhookOptions.PollInterval"/>.
/// </summary>
public sealed partial class WebhookDeliveryWorker(
    IWebhookDeliveryStore store,
    IEventStore events,
    WebhookSender sender,
    TimeProvider time,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDeliveryWorker> logger,
    Telemetry.EngineMetrics? metrics = null) : BackgroundService
{
    private readonly Telemetry.EngineMetrics _metrics = metrics ?? Telemetry.EngineMetrics.Shared;
    private readonly WebhookOptions _options = options.Value;
    private readonly RetrySchedule _schedule = options.Value.Schedule;
    private readonly EventPulse _freed = new();
    private readonly Channel<DeliveryResult> _results = Channel.CreateUnbounded<DeliveryResult>(new() { SingleReader = true });
    private readonly SemaphoreSlim _sending = new(options.Value.MaxConcurrency, options.Value.MaxConcurrency);
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, EndpointSlots> _endpoints = [];
    private readonly ConcurrentDictionary<Guid, double> _attemptMilliseconds = new(); // per endpoint, smoothed
    private readonly HashSet<Task> _sends = [];
    private int _held;
    private int _waiting;
    private DateTimeOffset _nextDisableCheck = DateTimeOffset.MinValue;

    /// <summary>The lease owner this worker writes (unique per process and start).</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/webhooks/{Guid.NewGuid():N}";

    private sealed class EndpointSlots(int cap)
    {
        public SemaphoreSlim Sending { get; } = new(cap, cap);

        public int Held { get; set; }
    }

    /// <summary>
    /// An endpoint is fast enough to claim ahead when a full prefetch, sent its slots' worth at a time, ends well
    /// inside the lease: otherwise deliveries would wait out their lease in hand.
    /// </summary>
    private double SlowAttemptMilliseconds =>
        (_options.LeaseDuration - _options.Timeout).TotalMilliseconds /
        (2.0 * _options.PrefetchPerEndpoint / _options.MaxConcurrencyPerEndpoint);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var writer = WriteResultsAsync();
        while (!stoppingToken.IsCancellationRequested)
        {
            var placed = events.Signals.Placed.Version;
            var freed = _freed.Version;
            try
            {
                var (claimed, wanted) = await ClaimAndStartAsync(stoppingToken);
                await DisableFailingEndpointsAsync(stoppingToken);
                if (claimed > 0 && claimed == wanted)
                {
                    continue; // there may be more due right now
                }
                await WaitAsync(placed, freed, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogLoopFailed(e);
                try
                {
                    await Task.Delay(_options.PollInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        // Shutdown: nothing new is claimed; claimed deliveries still waiting are left to their leases, attempts under way
        // finish (each within Timeout) and their outcomes are written.
        Task[] sending;
        lock (_gate)
        {
            sending = [.. _sends];
        }
        await Task.WhenAll(sending);
        _results.Writer.TryComplete();
        await writer;
    }

    private async Task WaitAsync(long placedSeen, long freedSeen, CancellationToken ct)
    {
        using var woken = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var placed = events.Signals.Placed.WaitAsync(placedSeen, _options.PollInterval, time, woken.Token);
        var freed = _freed.WaitAsync(freedSeen, _options.PollInterval, time, woken.Token);
        await Task.WhenAny(placed, freed);
        await woken.CancelAsync();
        ct.ThrowIfCancellationRequested();
    }

    private async Task<(int Claimed, int Wanted)> ClaimAndStartAsync(CancellationToken ct)
    {
        int free;
        Guid[] saturated;
        lock (_gate)
        {
            free = _options.MaxClaimed - _held;
            // Claim in batches: when a quarter is free, or when nothing claimed is waiting for a slot (keep the pipe fed).
            if (free < _options.MaxClaimed / 4 && _waiting > 0)
            {
                return (0, 0);
            }
            saturated = [.. _endpoints.Where(p => p.Value.Held >= _options.PrefetchPerEndpoint).Select(p => p.Key)];
        }
        if (free <= 0)
        {
            return (0, 0);
        }
        // Endpoints measured fast are claimed ahead; the others (slow, or not measured yet) only their sending slots' worth.
        var slow = SlowAttemptMilliseconds;
        var fast = _attemptMilliseconds.Where(p => p.Value <= slow).Select(p => p.Key).Take(400).ToArray();
        var now = time.GetUtcNow();
        var claimed = await store.ClaimDeliveriesAsync(new DeliveryClaim(Owner, now, _options.LeaseDuration, free,
            _options.MaxConcurrencyPerEndpoint, saturated, fast, _options.PrefetchPerEndpoint), ct);
        foreach (var delivery in claimed)
        {
            EndpointSlots slots;
            lock (_gate)
            {
                if (!_endpoints.TryGetValue(delivery.EndpointId, out slots!))
                {
                    slots = new EndpointSlots(_options.MaxConcurrencyPerEndpoint);
                    _endpoints[delivery.EndpointId] = slots;
                }
                slots.Held++;
                _held++;
                _waiting++;
            }
            // Not measured yet: treated as slow until its first attempt says otherwise.
            _attemptMilliseconds.TryAdd(delivery.EndpointId, double.MaxValue);
            var send = Task.Run(() => DeliverAsync(delivery, slots), CancellationToken.None);
            lock (_gate)
            {
                if (!send.IsCompleted)
                {
                    _sends.Add(send);
                }
            }
            _ = send.ContinueWith(done =>
            {
                lock (_gate)
                {
                    _sends.Remove(done);
                }
            }, TaskScheduler.Default);
        }
        return (claimed.Count, free);
    }

    /// <summary>One claimed delivery: waits for a sending slot of its endpoint and one overall, sends, queues the outcome.</summary>
    private async Task DeliverAsync(ClaimedDelivery delivery, EndpointSlots slots)
    {
        var waiting = true;
        try
        {
            await slots.Sending.WaitAsync();
            await _sending.WaitAsync();
            lock (_gate)
            {
                _waiting--;
                waiting = false;
            }
            try
            {
                await AttemptAsync(delivery);
            }
            finally
            {
                _sending.Release();
                slots.Sending.Release();
            }
        }
        catch (Exception e)
        {
            LogDeliveryFailed(e, delivery.Id); // the lease ends and the delivery is sent again
        }
        finally
        {
            lock (_gate)
            {
                if (waiting)
                {
                    _waiting--;
                }
                slots.Held--;
                _held--;
                if (slots.Held == 0)
                {
                    _endpoints.Remove(delivery.EndpointId);
                }
            }
            _freed.Pulse();
        }
    }

    private async Task AttemptAsync(ClaimedDelivery delivery)
    {
        var now = time.GetUtcNow();
        if (delivery.Event is null || !delivery.EndpointEnabled)
        {
            // Nothing to send: the event aged out of the log, or the endpoint was disabled after the fan-out.
            var why = delivery.Event is null ? "the event is no longer in the log (retention)" : "the endpoint is disabled";
            _results.Writer.TryWrite(new DeliveryResult(delivery.Id, delivery.EndpointId, delivery.Attempts, delivery.Attempts,
                DeliveryState.Failed, null, now, null, why, EndpointEffect.None));
            return;
        }
        if (now + _options.Timeout + TimeSpan.FromSeconds(1) > delivery.LeaseExpiresAt)
        {
            return; // waited too long for a slot: the lease could end mid-attempt; left to the next claim
        }
        var clock = Stopwatch.StartNew();
        var outcome = await sender.SendAsync(delivery, delivery.Event, now, CancellationToken.None);
        var took = clock.Elapsed.TotalMilliseconds;
        _attemptMilliseconds.AddOrUpdate(delivery.EndpointId, took, (_, seen) => seen == double.MaxValue ? took : 0.8 * seen + 0.2 * took);
        // The retry waits from the attempt's end (a slow failure does not eat into the wait); it is recorded at its start.
        var result = DeliveryRules.Decide(delivery.Id, delivery.EndpointId, delivery.Attempts, outcome, time.GetUtcNow(), _schedule,
            Random.Shared.NextDouble() * 2 - 1) with { AttemptedAt = now };
        _metrics.WebhookDelivered(result.State, delivery.Event.Timestamp, time.GetUtcNow());
        if (result.Effect == EndpointEffect.Gone)
        {
            LogEndpointGone(delivery.EndpointId, delivery.ProjectId);
        }
        _results.Writer.TryWrite(result);
    }

    /// <summary>Writes outcomes as they come, everything waiting in one transaction (up to ResultBatch).</summary>
    private async Task WriteResultsAsync()
    {
        var batch = new List<DeliveryResult>(_options.ResultBatch);
        while (await _results.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < _options.ResultBatch && _results.Reader.TryRead(out var result))
            {
                batch.Add(result);
            }
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await store.RecordDeliveryResultsAsync(Owner, batch, CancellationToken.None);
                    break;
                }
                catch (Exception e) when (attempt < 5)
                {
                    LogResultsRetry(e, batch.Count);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), time);
                }
                catch (Exception e)
                {
                    LogResultsLost(e, batch.Count); // not written: their leases end and they are sent again
                    break;
                }
            }
            batch.Clear();
        }
    }

    private async Task DisableFailingEndpointsAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now < _nextDisableCheck)
        {
            return;
        }
        _nextDisableCheck = now + _options.DisableCheckInterval;
        var disableAfter = _options.DisableAfter;
        var disabled = await store.DisableFailingEndpointsAsync(now - disableAfter, now,
            since => DeliveryRules.FailingTooLongReason(since, disableAfter), ct);
        foreach (var endpoint in disabled)
        {
            LogEndpointDisabled(endpoint.Id, endpoint.ProjectId, endpoint.Reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook endpoint {EndpointId} of project {ProjectId} is disabled: {Reason}; its pending deliveries are Failed and can be redelivered")]
    private partial void LogEndpointDisabled(Guid endpointId, string projectId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook endpoint {EndpointId} of project {ProjectId} answered 410 Gone: it is disabled; its pending deliveries are Failed and can be redelivered")]
    private partial void LogEndpointGone(Guid endpointId, string projectId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The webhook delivery loop failed; it retries")]
    private partial void LogLoopFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} failed unexpectedly; it is sent again when its lease ends")]
    private partial void LogDeliveryFailed(Exception e, Guid deliveryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} webhook delivery outcomes failed; retrying")]
    private partial void LogResultsRetry(Exception e, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} webhook delivery outcomes failed; those deliveries are sent again when their leases end")]
    private partial void LogResultsLost(Exception e, int count);
}
