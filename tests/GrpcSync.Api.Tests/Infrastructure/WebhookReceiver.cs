using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>One request as the receiver got it, and whether its signature verified (checked here, independently of the signer).</summary>
public sealed record WebhookArrival(
    string Id, string Timestamp, string Signature, string ContentType, string Body, DateTimeOffset At, int AttemptOfId, bool Verified,
    int SignaturesMatched);

/// <summary>What the receiver answers to one arrival: a status, optional headers, an optional wait before answering.</summary>
public sealed record WebhookAnswer(int Status, IReadOnlyDictionary<string, string>? Headers = null, TimeSpan Delay = default)
{
    public static readonly WebhookAnswer Ok = new(204);
}

/// <summary>
/// A webhook receiver on a real loopback socket (Kestrel in the test process): it verifies Standard Webhooks
/// signatures against the secrets it knows, counts every arrival per webhook-id (retries and duplicates),
/// notices two attempts of one id in flight at once, and answers as <see cref="Answer"/> says (200 by default).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<WebhookArrival> _arrivals = new();
    private readonly ConcurrentDictionary<string, int> _attemptsById = new();
    private readonly ConcurrentDictionary<string, int> _inFlightById = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _concurrentDuplicates;

    private WebhookReceiver(WebApplication app, IReadOnlyList<string> secrets)
    {
        _app = app;
        Secrets = secrets;
    }

    /// <summary>The secrets a signature may be made with (whsec_…).</summary>
    public IReadOnlyList<string> Secrets { get; set; }

    /// <summary>Decides each answer; by default 204.</summary>
    public Func<WebhookArrival, WebhookAnswer> Answer { get; set; } = _ => WebhookAnswer.Ok;

    public string Url { get; private set; } = "";

    public IReadOnlyList<WebhookArrival> Arrivals => [.. _arrivals];

    /// <summary>The most requests this receiver had in flight at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>How often a request arrived while another one with the same webhook-id was still in flight.</summary>
    public int ConcurrentDuplicates => Volatile.Read(ref _concurrentDuplicates);

    public static async Task<WebhookReceiver> StartAsync(params string[] secrets)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, secrets);
        app.MapPost("/hook", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/hook";
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var id = context.Request.Headers["webhook-id"].ToString();
        var timestamp = context.Request.Headers["webhook-timestamp"].ToString();
        var signature = context.Request.Headers["webhook-signature"].ToString();
        var matched = CountMatches(id, timestamp, body, signature);
        var attempt = _attemptsById.AddOrUpdate(id, 1, (_, n) => n + 1);
        var arrival = new WebhookArrival(id, timestamp, signature, context.Request.ContentType ?? "", body, DateTimeOffset.UtcNow, attempt,
            matched > 0, matched);
        var inFlight = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, inFlight);
        if (_inFlightById.AddOrUpdate(id, 1, (_, n) => n + 1) > 1)
        {
            Interlocked.Increment(ref _concurrentDuplicates);
        }
        _arrivals.Enqueue(arrival);
        try
        {
            var answer = Answer(arrival);
            if (answer.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(answer.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return; // the sender gave up (timeout)
                }
            }
            context.Response.StatusCode = answer.Status;
            foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
            {
                context.Response.Headers[name] = value;
            }
        }
        finally
        {
            _inFlightById.AddOrUpdate(id, 0, (_, n) => n - 1);
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>How many v1 entries of the header match one of <see cref="Secrets"/> (spec: HMAC-SHA256 of "id.timestamp.body").</summary>
    private int CountMatches(string id, string timestamp, string body, string header)
    {
        var content = Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}");
        var expected = Secrets.Select(s => HMACSHA256.HashData(Convert.FromBase64String(s["whsec_".Length..]), content)).ToList();
        var matched = 0;
        foreach (var entry in header.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(',', 2);
            if (parts is not ["v1", var encoded])
            {
                continue;
            }
            byte[] given;
            try
            {
                given = Convert.FromBase64String(encoded);
            }
            catch (FormatException)
            {
                continue;
            }
            if (expected.Any(e => CryptographicOperations.FixedTimeEquals(e, given)))
            {
                matched++;
            }
        }
        return matched;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
