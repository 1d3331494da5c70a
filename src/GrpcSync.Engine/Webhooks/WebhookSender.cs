using System.Globalization;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;
using GrpcSync.Engine.Configuration;
using GrpcSync.Networking;
using GrpcSync.Storage;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Webhooks;

/// <summary>
/// Sends one attempt of a delivery: the event's JSON (the bytes signed are the bytes sent), Standard Webhooks
/// headers (<c>webhook-id</c> = the event id on every retry, <c>webhook-timestamp</c> of this attempt, one
/// signature per active secret), over one pooled client that connects only to checked addresses, follows no
/// redirect and uses no proxy. Never throws for the endpoint's faults: they come back as an <see cref="AttemptOutcome"/>.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    /// <summary>Most of a failed answer's body read, only to quote its start in the delivery's error.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    private const int QuotedBodyChars = 200;

    private readonly HttpClient _client;
    private readonly IWebhookSecrets _secrets;
    private readonly WebhookOptions _options;

    public WebhookSender(IWebhookSecrets secrets, IOptions<WebhookOptions> options)
    {
        _secrets = secrets;
        _options = options.Value;
        var allowPrivate = _options.AllowPrivateNetworks;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false, // a proxy would connect for us, past the address check
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2), // picks up DNS changes (each new connection is checked again)
            ConnectCallback = (context, ct) => GuardedConnect.ConnectAsync(context.DnsEndPoint, allowPrivate, reason => new WebhookAddressRefusedException(reason), ct),
        };
        _client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan }; // one timeout: ours, per attempt
    }

    public async Task<AttemptOutcome> SendAsync(ClaimedDelivery delivery, LoggedEvent e, DateTimeOffset now, CancellationToken ct)
    {
        if (!Uri.TryCreate(delivery.Url, UriKind.Absolute, out var url) ||
            !(url.Scheme == Uri.UriSchemeHttps || (_options.AllowPrivateNetworks && url.Scheme == Uri.UriSchemeHttp)))
        {
            return new AttemptOutcome.NoAnswer("refused: the URL must be https");
        }
        string[] secrets;
        try
        {
            secrets = [.. WebhookSigner.ActiveSecrets(_secrets.Reveal(delivery.ProtectedSecret),
                delivery.PreviousProtectedSecret is { } previous ? _secrets.Reveal(previous) : null, delivery.PreviousSecretExpiresAt, now)];
        }
        catch (Exception x) when (x is System.Security.Cryptography.CryptographicException or FormatException)
        {
            return new AttemptOutcome.NoAnswer("the endpoint's secret could not be read (Data Protection keys changed?)");
        }
        var body = Encoding.UTF8.GetBytes(EventJson.Render(e));
        var id = e.Id.ToString();
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("webhook-id", id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSigner.SignatureHeader(secrets, id, timestamp, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var code = (int)response.StatusCode;
            if (code is >= 200 and < 300)
            {
                return new AttemptOutcome.Answered(code);
            }
            return new AttemptOutcome.Answered(code, RetryAfter(response, now), await QuoteBodyAsync(response, timeout.Token));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new AttemptOutcome.NoAnswer(string.Create(CultureInfo.InvariantCulture, $"timeout after {_options.Timeout.TotalSeconds:0.###} s"));
        }
        catch (HttpRequestException x) when (Refusal(x) is { } refused)
        {
            return new AttemptOutcome.NoAnswer("refused: " + refused.Message);
        }
        catch (HttpRequestException x)
        {
            return new AttemptOutcome.NoAnswer("network error: " + (x.InnerException?.Message ?? x.Message));
        }
    }

    private static WebhookAddressRefusedException? Refusal(Exception x)
    {
        for (var inner = x.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is WebhookAddressRefusedException refused)
            {
                return refused;
            }
        }
        return null;
    }

    /// <summary>Retry-After as seconds or an HTTP date, relative to the attempt.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>The start of a failed answer's body (at most <see cref="MaxResponseBytes"/> read), on one line.</summary>
    private static async Task<string?> QuoteBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[MaxResponseBytes];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0)
            {
                read += n;
            }
            var text = Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? null : text.Length <= QuotedBodyChars ? text : text[..QuotedBodyChars];
        }
        catch (Exception x) when (x is HttpRequestException or IOException)
        {
            return null; // the status code says enough
        }
    }

    public void Dispose() => _client.Dispose();
}
