using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcSync.Testing.Processes;
using GrpcSync.V1;

namespace GrpcSync.Bench;

/// <summary>
/// Figure 7, events: webhook deliveries to a receiver in this process, and WatchSyncEvents over gRPC and REST,
/// on a server of its own with the engine on (the relay and the delivery workers are engine loops), fed by real
/// UpdateSync calls. Commit time = the event's <c>timestamp</c> (taken in the writing operation just before its
/// commit, so the latencies include the rest of that transaction).
/// </summary>
public sealed partial class BenchRun
{
    /// <summary>How long the bench waits for the last deliveries or stream events of a phase before it calls them missing.</summary>
    private TimeSpan ArrivalTimeout => plan.Smoke ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(120);

    private async Task EventFiguresAsync(BenchKey key, string publicKey, string files, string store, string suffix, string? postgresConnection)
    {
        var data = Directory.CreateDirectory(Path.Combine(plan.WorkDirectory, "events" + suffix)).FullName;
        Dictionary<string, string> Engine(bool on) => new()
        {
            ["GrpcSync__Engine__Enabled"] = on ? "true" : "false",
            // The receiver is on 127.0.0.1 over http: allowed only with this switch (off by default: SSRF).
            ["GrpcSync__Webhooks__AllowPrivateNetworks"] = "true",
        };
        await using var receiver = await WebhookReceiver.StartAsync();
        SeedData seed;
        DateTimeOffset backlogFrom;
        long backlog;
        // The saturated figure's backlog is written with the engine off: the events are committed but not placed, so
        // nothing is delivered yet. The engine-on server started next drains them as fast as the delivery path goes.
        await using (var writer = await StartServerAsync("grpcsync-events-backlog" + suffix, data, publicKey, files, postgresConnection,
            extraEnvironment: Engine(false)))
        {
            seed = await Seeder.SeedAsync(writer.GrpcUrl, key, plan.EventUsers, plan.EventSyncsPerUser, Path.Combine(files, "account"));
            using (var channel = GrpcChannel.ForAddress(writer.GrpcUrl))
            {
                var admin = new Metadata { { "authorization", "Bearer " + key.Token("bench-admin", TimeSpan.FromHours(3), admin: true) } };
                var webhook = await new WebhookService.WebhookServiceClient(channel).CreateWebhookAsync(
                    new CreateWebhookRequest { Url = receiver.Url, Events = { "sync_updated" }, Description = "bench receiver" }, admin);
                _checks.Add(new Check($"webhook endpoint ({writer.Process.Name})", webhook.Enabled && webhook.Secret.StartsWith("whsec_", StringComparison.Ordinal),
                    $"CreateWebhook({receiver.Url}, events [sync_updated]) with an admin token → {webhook.Id}"));
            }
            using var writes = new ChangeProducer(writer.GrpcUrl, seed.Syncs.Skip(1).ToList());
            await writes.PrepareAsync();
            await Task.Delay(10); // the burst's events are told apart from the preparation's by their timestamps
            backlogFrom = DateTimeOffset.UtcNow;
            backlog = await writes.BurstAsync(plan.EventBurst, EventConcurrency);
            Log($"seeded {seed.Syncs.Count} Syncs and committed {backlog} sync_updated events with the engine off (the webhook backlog)");
            await writer.Process.StopAsync();
        }

        var saturated = new Figure
        {
            Id = "7.webhook-saturated" + suffix, Section = "7", Name = "webhook deliveries, saturated (backlog drain)", Server = "GrpcSync",
            Transport = "HTTP/1.1 POST", Tool = "Kestrel receiver", Store = store,
            Workload = $"{backlog} sync_updated events committed by UpdateSync calls while the engine was off (none placed or delivered), then the server " +
                       "restarted with the engine on: its relay places them and its delivery worker sends them to one endpoint (events [sync_updated]) in " +
                       "this process, which answers 204. deliveries/s = distinct deliveries / (first delivery → last), no API load meanwhile; " +
                       "p50/p99 here = time after the first delivery (the drain's progress), not a latency",
        };
        await WaitForQuietAsync(saturated);
        var restarted = DateTimeOffset.UtcNow;
        await using var server = await StartServerAsync("grpcsync-events" + suffix, data, publicKey, files, postgresConnection, extraEnvironment: Engine(true));
        var meter = EventMeter.Start(server.Process.Pid, DatabaseProcesses());
        var clock = Stopwatch.StartNew();
        var drained = (await ArrivalsAsync(receiver.Drain, backlog, "sync_updated", from: backlogFrom)).OrderBy(a => a.ReceivedAt).ToList();
        saturated.SetCpu(meter.Stop(clock.Elapsed));
        var first = drained.Count > 0 ? drained[0].ReceivedAt : restarted;
        var drainSpan = drained.Count > 1 ? drained[^1].ReceivedAt - first : clock.Elapsed;
        ApplyFigure(saturated, drained.Select(a => (a.ReceivedAt - first).TotalMilliseconds).ToList(), drained.Count, drainSpan, backlog, 0,
            $"restart → first delivery {(first - restarted).TotalSeconds:0.0} s (process start, migrations, first placement); " +
            $"{drained.Count} deliveries in {drainSpan.TotalSeconds:0.0} s after it");
        var drainRate = saturated.ReqPerSec;

        // The first Sync is the streams'; the others feed the webhook.
        using var producer = new ChangeProducer(server.GrpcUrl, seed.Syncs.Skip(1).ToList());
        await producer.PrepareAsync(); // from a known value again: the backlog left each Sync at 5m or 10m
        await SettleAsync(receiver.Drain); // the preparations' deliveries
        await WebhookWhileWritingAsync(server, receiver, producer, store, suffix);
        await WebhookPacedAsync(server, receiver, producer, store, suffix, Math.Max(1, drainRate / 2));
        await StreamFiguresAsync(server, seed.Syncs[0], store, suffix);
        if (receiver.Duplicates > 0 || receiver.Malformed > 0)
        {
            Log($"  (webhook receiver: {receiver.Duplicates} duplicate and {receiver.Malformed} malformed deliveries)");
        }
        _checks.Add(new Check($"webhook deliveries well-formed ({server.Process.Name})", receiver.Malformed == 0,
            $"{receiver.Count} distinct deliveries with webhook-id, webhook-timestamp, a v1 signature and the event's timestamp; " +
            $"{receiver.Malformed} malformed; {receiver.Duplicates} duplicates (allowed: at least once)"));
        await server.Process.StopAsync();
    }

    /// <summary>UpdateSync callers in flight in the closed-loop phases (one Sync each, the streams' Sync kept out).</summary>
    private int EventConcurrency => Math.Min(plan.Concurrency, plan.EventUsers * plan.EventSyncsPerUser - 1);

    /// <summary>
    /// For information: changes as fast as the API takes them while the engine delivers them (API, relay and delivery
    /// share the machine and the store); deliveries/s from the first call to the last delivery.
    /// </summary>
    private async Task WebhookWhileWritingAsync(Server server, WebhookReceiver receiver, ChangeProducer producer, string store, string suffix)
    {
        var total = Math.Max(1, plan.EventBurst / 3);
        var figure = new Figure
        {
            Id = "7.webhook-while-writing" + suffix, Section = "7", Name = "webhook deliveries while the API writes at full speed", Server = "GrpcSync",
            Transport = "HTTP/1.1 POST", Tool = "UpdateSync + Kestrel receiver", Store = store,
            Workload = $"{total} UpdateSync calls (Grpc.Net.Client, {EventConcurrency} in flight, each flips a Sync's frequency: one sync_updated each) " +
                       "as fast as the API takes them while the engine delivers them; deliveries/s = distinct deliveries / (first call → last delivery); " +
                       "p50/p99 = commit-to-delivery",
        };
        await WaitForQuietAsync(figure);
        var meter = EventMeter.Start(server.Process.Pid, DatabaseProcesses());
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var changed = await producer.BurstAsync(total, EventConcurrency);
        var producedIn = clock.Elapsed;
        var arrivals = await ArrivalsAsync(receiver.Drain, changed, "sync_updated");
        var span = arrivals.Count > 0 ? arrivals.Max(a => a.ReceivedAt) - started : clock.Elapsed;
        figure.SetCpu(meter.Stop(clock.Elapsed));
        Apply(figure, arrivals, span, changed, total - changed,
            $"produced {changed} changes in {producedIn.TotalSeconds:0.0} s ({changed / producedIn.TotalSeconds:0}/s); " +
            $"last delivery {span.TotalSeconds:0.0} s after the first call");
    }

    /// <summary>Phase 2: an open-loop producer at <paramref name="perSecond"/> (half the saturated drain rate); p50/p99 commit-to-delivery.</summary>
    private async Task WebhookPacedAsync(Server server, WebhookReceiver receiver, ChangeProducer producer, string store, string suffix, double perSecond)
    {
        var figure = new Figure
        {
            Id = "7.webhook-paced" + suffix, Section = "7", Name = "webhook commit-to-delivery at half the saturated rate", Server = "GrpcSync",
            Transport = "HTTP/1.1 POST", Tool = "UpdateSync + Kestrel receiver", Store = store,
            Workload = $"open loop: one UpdateSync every {1000 / perSecond:0.###} ms ({perSecond:0}/s, half of the saturated row) for {plan.Duration.TotalSeconds:0.#} s, " +
                       "each started on schedule; latency = arrival at the receiver − the event's timestamp",
        };
        await WaitForQuietAsync(figure);
        var meter = EventMeter.Start(server.Process.Pid, DatabaseProcesses());
        var clock = Stopwatch.StartNew();
        var paced = await producer.PacedAsync(perSecond, plan.Duration);
        var arrivals = await ArrivalsAsync(receiver.Drain, paced.Changed, "sync_updated");
        figure.SetCpu(meter.Stop(clock.Elapsed));
        Apply(figure, arrivals, paced.Elapsed, paced.Changed, paced.Sent - paced.Changed,
            $"{paced.Sent} changes sent in {paced.Elapsed.TotalSeconds:0.0} s; the producer was at most {paced.Behind.TotalMilliseconds:0} ms behind its schedule");
    }

    /// <summary>WatchSyncEvents over gRPC and over REST at once on one Sync, while it changes at <see cref="Plan.StreamRate"/> per second.</summary>
    private async Task StreamFiguresAsync(Server server, BenchSync sync, string store, string suffix)
    {
        using var channel = GrpcChannel.ForAddress(server.GrpcUrl);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        await using var grpc = StreamWatcher.Grpc(channel, sync);
        await using var rest = StreamWatcher.Rest(http, server.RestUrl, sync);
        using var producer = new ChangeProducer(server.GrpcUrl, [sync]);
        await producer.PrepareAsync();
        // Both streams have read the Sync's history (its INITIAL run, the 5m) once nothing new arrives for a second.
        await SettleAsync(() => [.. grpc.Drain(), .. rest.Drain()]);
        var words = $"one Sync changed by UpdateSync at a steady {plan.StreamRate:0}/s (open loop) for {plan.Duration.TotalSeconds:0.#} s; " +
                    "a gRPC (Grpc.Net.Client) and a REST (HttpClient, HTTP/1.1, one JSON object per line) WatchSyncEvents client read it at once; " +
                    "latency = arrival at the client − the event's timestamp";
        var figures = new[] { grpc, rest }.Select(w => new Figure
        {
            Id = (w == grpc ? "7.stream-grpc" : "7.stream-rest") + suffix, Section = "7", Name = "WatchSyncEvents commit-to-client",
            Server = "GrpcSync", Transport = w.Transport, Tool = "UpdateSync + stream client", Store = store, Workload = words,
        }).ToArray();
        await WaitForQuietAsync(figures[0]);
        var meter = EventMeter.Start(server.Process.Pid, DatabaseProcesses());
        var clock = Stopwatch.StartNew();
        var paced = await producer.PacedAsync(plan.StreamRate, plan.Duration);
        var arrivals = await Task.WhenAll(new[] { grpc, rest }.Select(w => ArrivalsAsync(w.Drain, paced.Changed, "sync_updated")));
        var cpu = meter.Stop(clock.Elapsed);
        for (var i = 0; i < figures.Length; i++)
        {
            figures[i].SetCpu(cpu);
            figures[i].StartedIdle = figures[0].StartedIdle;
            var watcher = i == 0 ? grpc : rest;
            if (watcher.Failure is { } failure)
            {
                figures[i].Problems.Add("the stream failed: " + failure);
            }
            Apply(figures[i], arrivals[i], paced.Elapsed, paced.Changed, paced.Sent - paced.Changed,
                $"{paced.Sent} changes at {plan.StreamRate:0}/s; the producer was at most {paced.Behind.TotalMilliseconds:0} ms behind its schedule");
        }
    }

    /// <summary>
    /// Collects arrivals of <paramref name="type"/> until <paramref name="expected"/> have come (or the timeout). Arrivals
    /// of other types do not count (none are expected: the endpoint and the changes are sync_updated only).
    /// </summary>
    private async Task<List<Delivery>> ArrivalsAsync(Func<List<Delivery>> drain, long expected, string type, DateTimeOffset? from = null)
    {
        bool Counts(Delivery d) => d.EventType == type && (from is not { } f || d.EventTimestamp >= f);
        var arrivals = new List<Delivery>();
        var clock = Stopwatch.StartNew();
        while (arrivals.Count < expected && clock.Elapsed < ArrivalTimeout)
        {
            arrivals.AddRange(drain().Where(Counts));
            if (arrivals.Count < expected)
            {
                await Task.Delay(20, _stopping.Token);
            }
        }
        await Task.Delay(plan.Smoke ? 100 : 500, _stopping.Token); // anything beyond what was expected (none should come)
        arrivals.AddRange(drain().Where(Counts));
        return arrivals;
    }

    /// <summary>Waits (at most 30 s) until nothing has arrived for a second, and drops what did: the set-up's events.</summary>
    private async Task SettleAsync(Func<List<Delivery>> drain)
    {
        var clock = Stopwatch.StartNew();
        var quietSince = clock.Elapsed;
        while (clock.Elapsed - quietSince < TimeSpan.FromSeconds(1) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, _stopping.Token);
            if (drain().Count > 0)
            {
                quietSince = clock.Elapsed;
            }
        }
    }

    /// <summary>A phase's row: latencies = arrival − the event's timestamp (commit-to-delivery or commit-to-client).</summary>
    private void Apply(Figure figure, List<Delivery> arrivals, TimeSpan span, long expected, long failedCalls, string detail) =>
        ApplyFigure(figure, arrivals.Select(a => (a.ReceivedAt - a.EventTimestamp).TotalMilliseconds).ToList(), arrivals.Count, span,
            expected, failedCalls, detail);

    private void ApplyFigure(Figure figure, List<double> latencies, int arrived, TimeSpan span, long expected, long failedCalls, string detail)
    {
        var missing = Math.Max(0, expected - arrived);
        figure.Apply(LoadResult.FromLatencies(latencies, span.TotalSeconds, failedCalls + missing, detail) with
        {
            ReqPerSec = span.TotalSeconds > 0 ? arrived / span.TotalSeconds : 0,
        });
        if (missing > 0)
        {
            figure.Problems.Add($"{missing} of {expected} committed events did not arrive within {ArrivalTimeout.TotalSeconds:0} s");
        }
        if (arrived > expected)
        {
            figure.Problems.Add($"{arrived - expected} events arrived that no call of the phase made");
        }
        _figures.Add(figure);
        Log(Line(figure));
    }
}

/// <summary>
/// CPU over an event phase: the server, this process as the "tool" (it produces the calls and receives the deliveries
/// and streams), the database, the machine.
/// </summary>
internal sealed class EventMeter
{
    private readonly CpuMeter _server;
    private readonly CpuMeter _bench;

    private EventMeter(int serverPid, Func<IEnumerable<int>>? database)
    {
        _server = CpuMeter.Start(serverPid, database);
        _bench = CpuMeter.Start(Environment.ProcessId);
    }

    public static EventMeter Start(int serverPid, Func<IEnumerable<int>>? database) => new(serverPid, database);

    public CpuCores Stop(TimeSpan elapsed)
    {
        var server = _server.Stop(elapsed);
        return server with { Tool = _bench.Stop(elapsed).Server };
    }
}
