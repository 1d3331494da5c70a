using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Bench;

/// <summary>One POST the receiver got: the event's id (webhook-id), its type, its timestamp and when it arrived.</summary>
public readonly record struct Delivery(string EventId, string EventType, DateTimeOffset EventTimestamp, DateTimeOffset ReceivedAt);

/// <summary>
/// Figure 7's local webhook receiver: Kestrel in the bench process on 127.0.0.1, answering every POST 204 at once.
/// It checks only what a delivery must carry (webhook-id, webhook-timestamp, webhook-signature, a JSON body with
/// the event's <c>timestamp</c>), not the signature itself (the tests verify signatures): the figure measures the
/// server's delivery path, not the receiver. Every arrival is recorded; a webhook-id seen before counts as a duplicate.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Delivery> _arrivals = new();
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private long _duplicates;
    private long _malformed;

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    /// <summary>Deliveries whose webhook-id had arrived before (at-least-once allows them; they are counted, not hidden).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>POSTs without the Standard Webhooks headers or without a readable event timestamp.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>First arrivals so far (duplicates not included).</summary>
    public int Count => _seen.Count;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", receiver.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/hook";
        return receiver;
    }

    /// <summary>Takes every first arrival recorded so far (each is handed out once).</summary>
    public List<Delivery> Drain()
    {
        var taken = new List<Delivery>();
        while (_arrivals.TryDequeue(out var delivery))
        {
            taken.Add(delivery);
        }
        return taken;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        var received = DateTimeOffset.UtcNow;
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        var headers = context.Request.Headers;
        var id = headers["webhook-id"].ToString();
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (id.Length == 0 || headers["webhook-timestamp"].Count == 0 || !headers["webhook-signature"].ToString().StartsWith("v1,", StringComparison.Ordinal)
            || !TryReadEvent(body.GetBuffer().AsSpan(0, (int)body.Length), out var type, out var timestamp))
        {
            Interlocked.Increment(ref _malformed);
            return;
        }
        if (_seen.TryAdd(id, 0))
        {
            _arrivals.Enqueue(new Delivery(id, type, timestamp, received));
        }
        else
        {
            Interlocked.Increment(ref _duplicates);
        }
    }

    /// <summary>The top-level <c>event</c> and <c>timestamp</c> of an event body.</summary>
    public static bool TryReadEvent(ReadOnlySpan<byte> json, out string type, out DateTimeOffset timestamp)
    {
        type = "";
        timestamp = default;
        var found = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("event"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    type = reader.GetString()!;
                    found |= 1;
                }
                else if (reader.ValueTextEquals("timestamp"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    timestamp = reader.GetDateTimeOffset();
                    found |= 2;
                }
                else
                {
                    reader.Read();
                    reader.TrySkip();
                }
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
        return found == 3;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
