using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcSync.V1;

namespace GrpcSync.Bench;

/// <summary>
/// Figure 7's stream clients: WatchSyncEvents read as a client would, over gRPC (Grpc.Net.Client) and over REST
/// (HttpClient reading transcoding's newline-delimited JSON of <c>GET /api/syncs/{id}/events/watch</c>). Each
/// records, per event, its type, its <c>timestamp</c> and when it arrived here.
/// </summary>
public sealed class StreamWatcher : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Delivery> _arrivals = new();
    private Task _reading = Task.CompletedTask;

    public required string Transport { get; init; }

    /// <summary>Why the stream ended before it was stopped, if it did.</summary>
    public string? Failure { get; private set; }

    public List<Delivery> Drain()
    {
        var taken = new List<Delivery>();
        while (_arrivals.TryDequeue(out var delivery))
        {
            taken.Add(delivery);
        }
        return taken;
    }

    /// <summary>WatchSyncEvents over native gRPC (h2c).</summary>
    public static StreamWatcher Grpc(GrpcChannel channel, BenchSync sync)
    {
        var watcher = new StreamWatcher { Transport = "HTTP/2 gRPC" };
        var client = new SyncService.SyncServiceClient(channel);
        watcher._reading = Task.Run(async () =>
        {
            using var call = client.WatchSyncEvents(new WatchSyncEventsRequest { SyncId = sync.Id },
                new Metadata { { "authorization", sync.Owner.Bearer } }, cancellationToken: watcher._stop.Token);
            while (await call.ResponseStream.MoveNext(watcher._stop.Token))
            {
                var received = DateTimeOffset.UtcNow;
                var fields = call.ResponseStream.Current.Event.Fields;
                var type = fields.TryGetValue("event", out var e) ? e.StringValue : "";
                var timestamp = fields.TryGetValue("timestamp", out var t) ? DateTimeOffset.Parse(t.StringValue, System.Globalization.CultureInfo.InvariantCulture) : default;
                watcher._arrivals.Enqueue(new Delivery(fields.TryGetValue("eventId", out var id) ? id.StringValue : "", type, timestamp, received));
            }
            watcher.Failure = "the stream ended";
        });
        watcher.ObserveFailure();
        return watcher;
    }

    /// <summary>WatchSyncEvents over REST (HTTP/1.1, one JSON object per line).</summary>
    public static StreamWatcher Rest(HttpClient http, string restUrl, BenchSync sync)
    {
        var watcher = new StreamWatcher { Transport = "HTTP/1.1 JSON lines" };
        watcher._reading = Task.Run(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{restUrl}/api/syncs/{sync.Id}/events/watch")
            {
                Version = HttpVersion.Version11,
            };
            request.Headers.TryAddWithoutValidation("authorization", sync.Owner.Bearer);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, watcher._stop.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                watcher.Failure = $"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(watcher._stop.Token)}";
                return;
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(watcher._stop.Token), Encoding.UTF8);
            while (await reader.ReadLineAsync(watcher._stop.Token) is { } line)
            {
                var received = DateTimeOffset.UtcNow;
                if (line.Length == 0)
                {
                    continue;
                }
                using var document = JsonDocument.Parse(line);
                if (!document.RootElement.TryGetProperty("event", out var e))
                {
                    watcher.Failure = "a line without an event: " + line;
                    return;
                }
                var bytes = Encoding.UTF8.GetBytes(e.GetRawText());
                if (WebhookReceiver.TryReadEvent(bytes, out var type, out var timestamp))
                {
                    watcher._arrivals.Enqueue(new Delivery(e.TryGetProperty("eventId", out var id) ? id.GetString() ?? "" : "", type, timestamp, received));
                }
            }
            watcher.Failure = "the stream ended";
        });
        watcher.ObserveFailure();
        return watcher;
    }

    private void ObserveFailure() =>
        _ = _reading.ContinueWith(t =>
        {
            if (t.Exception is { } error && !_stop.IsCancellationRequested)
            {
                Failure = error.GetBaseException().Message;
            }
        }, TaskScheduler.Default);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reading;
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or HttpRequestException)
        {
            // stopped
        }
        _stop.Dispose();
    }
}
