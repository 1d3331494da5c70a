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
        await using var server = await StartServerAsync("grpcsync-events" + suffix, data, publicKey, files, postgresConnection,
            extraEnvironment: new Dictionary<string, string>
            {
                ["GrpcSync__Engine__Enabled"] = "true",
                // The receiver is on 127.0.0.1 over http: allowed only with this switch (off by default: SSRF).
                ["GrpcSync__Webhooks__AllowPrivateNetworks"] = "true",
            });
        var seed = await Seeder.SeedAsync(server.GrpcUrl, key, plan.EventUsers, plan.EventSyncsPerUser, Path.Combine(files, "account"));
        Log($"seeded {seed.Syncs.Count} Syncs for the event figures (engine on)");
        await using var receiver = await WebhookReceiver.StartAsync();
        using (var channel = GrpcChannel.ForAddress(server.GrpcUrl))
        {
            var admin = new Metadata { { "authorization", "Bearer " + key.Token("bench-admin", TimeSpan.FromHours(3), admin: true) } };
            var webhook = await new WebhookService.WebhookServiceClient(channel).CreateWebhookAsync(
                new CreateWebhookRequest { Url = receiver.Url, Events = { "sync_updated" }, Description = "bench receiver" }, admin);
            _checks.Add(new Check($"webhook endpoint ({server.Process.Name})", webhook.Enabled && webhook.Secret.StartsWith("whsec_", StringComparison.Ordinal),
                $"CreateWebhook({receiver.Url}, events [sync_updated]) with an admin token → {webhook.Id}"));
        }

        // The first Sync is the streams'; the others feed the webhook.
        var streamSync = seed.Syncs[0];
        using var producer = new ChangeProducer(server.GrpcUrl, seed.Syncs.Skip(1).ToList());
        await producer.PrepareAsync();
        await SettleAsync(receiver.Drain);

        var saturated = await WebhookSaturatedAsync(server, receiver, producer, store, suffix);
        await WebhookPacedAsync(server, receiver, producer, store, suffix, Math.Max(1, saturated / 2));
        await StreamFiguresAsync(server, streamSync, store, suffix);
        if (receiver.Duplicates > 0 || receiver.Malformed > 0)
        {
            Log($"  (webhook receiver: {receiver.Duplicates} duplicate and {receiver.Malformed} malformed deliveries)");
        }
        _checks.Add(new Check($"webhook deliveries well-formed ({server.Process.Name})", receiver.Malformed == 0,
            $"{receiver.Count} distinct deliveries with webhook-id, webhook-timestamp, a v1 signature and the event's timestamp; " +
            $"{receiver.Malformed} malformed; {receiver.Duplicates} duplicates (allowed: at least once)"));
        await server.Process.StopAsync();
    }

    /// <summary>Phase 1: <see cref="Plan.EventBurst"/> changes as fast as the API takes them; deliveries/s from the first change to the last delivery.</summary>
    private async Task<double> WebhookSaturatedAsync(Server server, WebhookReceiver receiver, ChangeProducer producer, string store, string suffix)
    {
        var concurrency = Math.Min(plan.Concurrency, plan.EventUsers * plan.EventSyncsPerUser - 1);
        var figure = new Figure
        {
            Id = "7.webhook-saturated" + suffix, Section = "7", Name = "webhook deliveries, saturated", Server = "GrpcSync",
            Transport = "HTTP/1.1 POST", Tool = "UpdateSync + Kestrel receiver", Store = store,
            Workload = $"{plan.EventBurst} UpdateSync calls (Grpc.Net.Client, {concurrency} in flight, each flips a Sync's frequency: one sync_updated each) " +
                       "as fast as the API takes them, while the engine's relay and delivery worker send them to one endpoint (events [sync_updated]) " +
                       "in this process, which answers 204; deliveries/s = distinct deliveries / (first call → last delivery); p50/p99 = commit-to-delivery",
        };
        await WaitForQuietAsync(figure);
        var meter = EventMeter.Start(server.Process.Pid, DatabaseProcesses());
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var changed = await producer.BurstAsync(plan.EventBurst, concurrency);
        var producedIn = clock.Elapsed;
        var arrivedWhileProducing = receiver.Count;
        var arrivals = await ArrivalsAsync(receiver.Drain, changed, "sync_updated");
        var span = arrivals.Count > 0 ? arrivals.Max(a => a.ReceivedAt) - started : clock.Elapsed;
        figure.SetCpu(meter.Stop(clock.Elapsed));
        var rate = arrivals.Count / span.TotalSeconds;
        Apply(figure, arrivals, span, changed, plan.EventBurst - changed,
            $"produced {changed} changes in {producedIn.TotalSeconds:0.0} s ({changed / producedIn.TotalSeconds:0}/s); {arrivedWhileProducing} delivered meanwhile, " +
            $"the rest after; last delivery {span.TotalSeconds:0.0} s after the first call");
        return rate;
    }

    /// <summary>Phase 2: an open-loop producer at <paramref name="perSecond"/> (half the saturated rate); p50/p99 commit-to-delivery.</summary>
    private async Task WebhookPacedAsync(Server server, WebhookReceiver receiver, ChangeProducer producer, string store, string suffix, double perSecond)
    {
        var figure = new Figure
        {
            Id = "7.webhook-paced" + suffix, Section = "7", Name = "webhook commit-to-delivery, half the saturated rate", Server = "GrpcSync",
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
    private async Task<List<Delivery>> ArrivalsAsync(Func<List<Delivery>> drain, long expected, string type)
    {
        var arrivals = new List<Delivery>();
        var clock = Stopwatch.StartNew();
        while (arrivals.Count < expected && clock.Elapsed < ArrivalTimeout)
        {
            arrivals.AddRange(drain().Where(d => d.EventType == type));
            if (arrivals.Count < expected)
            {
                await Task.Delay(20, _stopping.Token);
            }
        }
        await Task.Delay(plan.Smoke ? 100 : 500, _stopping.Token); // anything beyond what was expected (none should come)
        arrivals.AddRange(drain().Where(d => d.EventType == type));
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

    private void Apply(Figure figure, List<Delivery> arrivals, TimeSpan span, long expected, long failedCalls, string detail)
    {
        var latencies = arrivals.Select(a => (a.ReceivedAt - a.EventTimestamp).TotalMilliseconds).ToList();
        var missing = Math.Max(0, expected - arrivals.Count);
        figure.Apply(LoadResult.FromLatencies(latencies, span.TotalSeconds, failedCalls + missing, detail) with
        {
            ReqPerSec = span.TotalSeconds > 0 ? arrivals.Count / span.TotalSeconds : 0,
        });
        if (missing > 0)
        {
            figure.Problems.Add($"{missing} of {expected} committed events did not arrive within {ArrivalTimeout.TotalSeconds:0} s");
        }
        if (arrivals.Count > expected)
        {
            figure.Problems.Add($"{arrivals.Count - expected} events arrived that no call of the phase made");
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
