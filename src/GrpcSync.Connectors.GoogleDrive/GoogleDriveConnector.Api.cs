using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace GrpcSync.Connectors.GoogleDrive;

// Api: authorised requests to Drive (bearer token from the engine, one renewal after a 401), throttling retries,
// and Drive's error answers as the Sync's lifecycle needs them.
public sealed partial class GoogleDriveConnector
{
    /// <summary>The Drive API URL of <paramref name="path"/> (relative to the base, e.g. <c>drive/v3/files</c>) with its query.</summary>
    private Uri ApiUri(string path, params (string Name, string? Value)[] query)
    {
        var builder = new StringBuilder(_options.ApiBaseUrl.ToString().TrimEnd('/')).Append('/').Append(path);
        var first = true;
        foreach (var (name, value) in query)
        {
            if (value is null)
            {
                continue;
            }
            builder.Append(first ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }
        return new Uri(builder.ToString());
    }

    /// <summary>
    /// Sends a request built by <paramref name="build"/> (called again for each attempt) with the credential's access
    /// token, awaiting the credential's request budget before each attempt. A 401 renews the token once (the engine
    /// refreshes it, once per credential); a throttled answer is retried with exponential backoff
    /// (<see cref="GoogleDriveConnectorOptions.RateLimitRetries"/>) and then reported as RATE_LIMITED. Returns the
    /// successful response (the caller disposes it); throws the source exception of anything else.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(SourceContext context, Func<HttpRequestMessage> build, HttpCompletionOption completion,
        CancellationToken ct, Func<HttpResponseMessage, bool>? accept = null)
    {
        var tokens = context.AccessTokens ?? throw new PermanentSourceException("OAUTH_UNAVAILABLE",
            "The server cannot refresh this credential's access tokens (no OAuth token store is configured).");
        var token = await tokens.GetAsync(ct);
        var renewed = false;
        var throttled = 0;
        while (true)
        {
            await context.Requests.WaitAsync(ct); // the credential's steady budget, shared by its runs
            using var request = build();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, completion, ct);
            }
            catch (Exception error) when (error is HttpRequestException or IOException || (error is OperationCanceledException && !ct.IsCancellationRequested))
            {
                throw new TransientSourceException($"Google Drive could not be reached ({error.GetType().Name}: {error.Message}).");
            }
            if (response.IsSuccessStatusCode || accept?.Invoke(response) == true)
            {
                return response;
            }
            using (response)
            {
                var failure = await ReadErrorAsync(response, ct);
                if (response.StatusCode == HttpStatusCode.Unauthorized && !renewed)
                {
                    renewed = true;
                    token = await tokens.RenewAsync(token, ct);
                    continue;
                }
                if (failure.Throttled)
                {
                    var backoff = failure.RetryAfter ?? Backoff(throttled);
                    if (throttled < _options.RateLimitRetries && failure.RetryAfter is null)
                    {
                        throttled++;
                        await Task.Delay(backoff, ct);
                        continue;
                    }
                    throw new RateLimitedSourceException(failure.RetryAfter ?? Backoff(throttled),
                        $"Google Drive asked to slow down ({(int)response.StatusCode} {failure.Reason ?? "rateLimitExceeded"}).");
                }
                throw failure.ToException();
            }
        }
    }

    /// <summary>The n-th backoff: base × 2ⁿ with up to a quarter of jitter, at most 64 s (Drive's guidance).</summary>
    private TimeSpan Backoff(int attempt)
    {
        var baseDelay = _options.RateLimitBaseDelay > TimeSpan.Zero ? _options.RateLimitBaseDelay : TimeSpan.FromSeconds(1);
        var delay = baseDelay * Math.Pow(2, attempt);
        delay += delay * (Random.Shared.NextDouble() / 4);
        return delay < TimeSpan.FromSeconds(64) ? delay : TimeSpan.FromSeconds(64);
    }

    /// <summary>Drive's error answer, read: <c>{"error":{"code","message","errors":[{"domain","reason","message"}]}}</c>.</summary>
    private static async Task<DriveFailure> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string? reason = null, message = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                if (error.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0
                    && errors[0].TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String)
                {
                    reason = r.GetString();
                }
            }
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            // no readable body: the status alone decides
        }
        return new DriveFailure(response.StatusCode, reason, message, RetryAfter(response));
    }

    /// <summary><c>Retry-After</c> as seconds or an HTTP date; null when absent.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
        {
            return null;
        }
        if (header.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (header.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>One failed Drive answer and what it means for the Sync (ERRORED, RATE_LIMITED or a transient retry).</summary>
    private sealed record DriveFailure(HttpStatusCode Status, string? Reason, string? Message, TimeSpan? RetryAfter)
    {
        /// <summary>429, or 403 with a rate-limit reason (Drive's "Resolve errors": usage limits).</summary>
        public bool Throttled => Status == HttpStatusCode.TooManyRequests
            || (Status == HttpStatusCode.Forbidden && Reason is "rateLimitExceeded" or "userRateLimitExceeded");

        public Exception ToException()
        {
            var status = (int)Status;
            var said = $"{status} {Reason ?? "no reason"}{(Message is null ? "" : ": " + Clip(Message))}";
            return Status switch
            {
                HttpStatusCode.Unauthorized => new PermanentSourceException("CREDENTIAL_REJECTED",
                    $"Google Drive refused the credential's fresh access token ({said}). Re-authenticate the user."),
                HttpStatusCode.Forbidden => new PermanentSourceException("ACCESS_DENIED",
                    $"Google Drive denied access ({said}). Check the OAuth scopes the user granted (drive.readonly)."),
                HttpStatusCode.NotFound => new PermanentSourceException("NOT_FOUND", $"Google Drive has no such file ({said})."),
                _ when status >= 500 => new TransientSourceException($"Google Drive answered {said}; retried with backoff."),
                _ => new PermanentSourceException("SOURCE_REFUSED", $"Google Drive refused the request ({said})."),
            };
        }
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
