using System.Diagnostics;
using System.Diagnostics.Metrics;
using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Engine.Telemetry;

/// <summary>
/// GrpcSync's own instruments (meter <see cref="MeterName"/>), named <c>grpcsync.*</c> with UCUM units and a few
/// low-cardinality tags (integration, type, trigger, outcome; never a Sync id: ids go on traces). Every method is
/// cheap enough for the dispatch hot path (~16,000 runs/s): constant tag strings in a stack-only
/// <see cref="TagList"/>, no locks, no store calls; an instrument nobody listens to costs a flag check.
/// The README's "Operating GrpcSync" lists them.
/// </summary>
public sealed class EngineMetrics
{
    /// <summary>The meter's name: what an OpenTelemetry MeterProvider or a MeterListener subscribes to.</summary>
    public const string MeterName = "GrpcSync";

    /// <summary>Seconds, from 5 ms to an hour: runs, lags and store calls all fall somewhere in there.</summary>
    private static readonly IReadOnlyList<double> SecondsBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    private static readonly IReadOnlyList<int> RoundSizeBuckets = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

    /// <summary>For engines built without a host (tests, tools): one process-wide meter, made once.</summary>
    private static readonly Lazy<EngineMetrics> SharedInstance = new(() => new EngineMetrics(new Meter(MeterName)));

    private readonly Counter<long> _runsStarted;
    private readonly Counter<long> _runsFinished;
    private readonly Histogram<double> _runDuration;
    private readonly Histogram<double> _dispatchLag;
    private readonly Counter<long> _recordsWritten;
    private readonly Histogram<int> _roundSize;
    private readonly Histogram<double> _roundDuration;
    private readonly Counter<long> _leasesLost;
    private readonly Histogram<double> _storeDuration;
    private readonly Counter<long> _webhookDeliveries;
    private readonly Histogram<double> _webhookLag;

    /// <summary>The host's meter (disposed with the host's <see cref="IMeterFactory"/>).</summary>
    public EngineMetrics(IMeterFactory meters) : this(Create(meters))
    {
    }

    private EngineMetrics(Meter meter)
    {
        Meter = meter;
        _runsStarted = meter.CreateCounter<long>("grpcsync.runs.started", "{run}",
            "Runs a worker started (claimed by this replica), by integration, type and trigger.");
        _runsFinished = meter.CreateCounter<long>("grpcsync.runs.finished", "{run}",
            "Runs that ended on this replica, by integration, type, trigger and outcome.");
        _runDuration = meter.CreateHistogram("grpcsync.run.duration", "s",
            "How long a run took, from its claim to its end, by integration, type and outcome.", advice: Seconds);
        _dispatchLag = meter.CreateHistogram("grpcsync.dispatch.lag", "s",
            "How late a run was claimed: from the moment it was due to the claim, by integration and trigger.", advice: Seconds);
        _recordsWritten = meter.CreateCounter<long>("grpcsync.records.written", "{record}",
            "Record changes stored by runs, by integration and operation (created, updated, deleted).");
        _roundSize = meter.CreateHistogram<int>("grpcsync.dispatch.round.size", "{run}",
            "Runs one dispatch round claimed.", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = RoundSizeBuckets });
        _roundDuration = meter.CreateHistogram("grpcsync.dispatch.round.duration", "s",
            "How long one dispatch round (claim query and decisions) took.", advice: Seconds);
        _leasesLost = meter.CreateCounter<long>("grpcsync.leases.lost", "{lease}",
            "Lease renewals the store refused (the run was cancelled, disabled or claimed again), by integration.");
        _storeDuration = meter.CreateHistogram("grpcsync.store.operation.duration", "s",
            "How long an engine store call took, by operation; error.type is set when it threw.", advice: Seconds);
        _webhookDeliveries = meter.CreateCounter<long>("grpcsync.webhook.deliveries", "{delivery}",
            "Webhook delivery attempts, by outcome (succeeded, retrying, failed).");
        _webhookLag = meter.CreateHistogram("grpcsync.webhook.delivery.lag", "s",
            "From an event to its successful delivery to an endpoint.", advice: Seconds);
    }

    /// <summary>A process-wide instance for engines made without dependency injection.</summary>
    public static EngineMetrics Shared => SharedInstance.Value;

    /// <summary>The meter; other GrpcSync instruments (the Syncs-by-status gauge) are made on it.</summary>
    public Meter Meter { get; }

    private static InstrumentAdvice<double> Seconds { get; } = new() { HistogramBucketBoundaries = SecondsBuckets };

    private static Meter Create(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        return meters.Create(new MeterOptions(MeterName) { Version = typeof(EngineMetrics).Assembly.GetName().Version?.ToString() });
    }

    /// <summary>A worker started <paramref name="run"/>: counted, and its dispatch lag (due → claimed) recorded.</summary>
    public void RunStarted(Sync sync, SyncRun run)
    {
        var tags = new TagList { { "integration", sync.Integration }, { "type", TelemetryNames.Of(run.Type) }, { "trigger", TelemetryNames.Of(run.Trigger) } };
        _runsStarted.Add(1, tags);
        if (_dispatchLag.Enabled && run.StartedAt is { } claimed)
        {
            var lag = new TagList { { "integration", sync.Integration }, { "trigger", TelemetryNames.Of(run.Trigger) } };
            _dispatchLag.Record(Math.Max(0, (claimed - run.DueAt).TotalSeconds), lag);
        }
    }

    /// <summary>A run ended after <paramref name="duration"/>; <paramref name="outcome"/> is one of <see cref="TelemetryNames.Outcomes"/>.</summary>
    public void RunFinished(Sync sync, SyncRun run, string outcome, TimeSpan duration)
    {
        var tags = new TagList
        {
            { "integration", sync.Integration }, { "type", TelemetryNames.Of(run.Type) }, { "trigger", TelemetryNames.Of(run.Trigger) },
            { "outcome", outcome },
        };
        _runsFinished.Add(1, tags);
        var timing = new TagList { { "integration", sync.Integration }, { "type", TelemetryNames.Of(run.Type) }, { "outcome", outcome } };
        _runDuration.Record(duration.TotalSeconds, timing);
    }

    /// <summary>One stored page's record changes.</summary>
    public void RecordsWritten(string integration, long created, long updated, long deleted)
    {
        if (!_recordsWritten.Enabled)
        {
            return;
        }
        Add(integration, "created", created);
        Add(integration, "updated", updated);
        Add(integration, "deleted", deleted);
    }

    private void Add(string integration, string operation, long count)
    {
        if (count > 0)
        {
            _recordsWritten.Add(count, new TagList { { "integration", integration }, { "operation", operation } });
        }
    }

    /// <summary>One dispatch round claimed <paramref name="claimed"/> runs; it began at <paramref name="startedAt"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void DispatchRound(int claimed, long startedAt)
    {
        _roundSize.Record(claimed);
        _roundDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds);
    }

    /// <summary>The store refused a lease renewal: the worker stops.</summary>
    public void LeaseLost(string integration) => _leasesLost.Add(1, new TagList { { "integration", integration } });

    /// <summary>A store call of <paramref name="operation"/> that began at <paramref name="startedAt"/>; <paramref name="error"/> is set when it threw.</summary>
    public void StoreOperation(string operation, long startedAt, Exception? error = null)
    {
        if (!_storeDuration.Enabled)
        {
            return;
        }
        var tags = new TagList { { "operation", operation } };
        if (error is not null)
        {
            tags.Add("error.type", error is OperationCanceledException ? "cancelled" : error.GetType().Name);
        }
        _storeDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, tags);
    }

    /// <summary>One webhook attempt ended in <paramref name="state"/>; a success also records the lag since the event.</summary>
    public void WebhookDelivered(DeliveryState state, DateTimeOffset eventAt, DateTimeOffset now)
    {
        _webhookDeliveries.Add(1, new TagList { { "outcome", TelemetryNames.Of(state) } });
        if (state == DeliveryState.Succeeded)
        {
            _webhookLag.Record(Math.Max(0, (now - eventAt).TotalSeconds));
        }
    }
}
