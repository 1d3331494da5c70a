using System.Net;
using System.Text;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>What came back for one case: a response, or why there was none; and whether it went out as raw bytes.</summary>
public sealed record RestFuzzResult(FuzzHttpResponse? Response, string? NoResponse, string? SentRawBecause)
{
    public string StatusLabel => Response is null ? "no answer" : $"HTTP {Response.Status}";
}

/// <summary>
/// Sends storm cases to the REST port: through an <see cref="HttpClient"/> (no redirects, no decompression,
/// no path canonicalisation, so percent-junk goes out verbatim), or over a TcpClient when the case is raw or
/// HttpClient refuses a header or target.
/// </summary>
public sealed class RestFuzzSender(int port) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        Timeout = Timeout,
    };

    public async Task<RestFuzzResult> SendAsync(RestFuzzCase fuzzCase)
    {
        if (fuzzCase.Raw is not null)
        {
            var (response, error) = await RawHttp1Client.SendAsync(port, fuzzCase.Raw, fuzzCase.HalfClose, Timeout);
            return new RestFuzzResult(response, error, null);
        }

        HttpRequestMessage request;
        try
        {
            request = Build(fuzzCase);
        }
        catch (Exception refused) when (refused is InvalidOperationException or FormatException or ArgumentException or UriFormatException)
        {
            return await SendRawAsync(fuzzCase, refused.Message);
        }

        using (request)
        {
            try
            {
                if (IsEventStream(fuzzCase.Target))
                {
                    return await ReadStreamAnswerAsync(request);
                }
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
                var body = await response.Content.ReadAsByteArrayAsync();
                return new RestFuzzResult(new FuzzHttpResponse((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), body), null, null);
            }
            catch (HttpRequestException error) when (error.InnerException is InvalidOperationException or FormatException or ArgumentException)
            {
                return await SendRawAsync(fuzzCase, error.InnerException.Message);
            }
            catch (HttpRequestException error)
            {
                return new RestFuzzResult(null, $"{error.GetType().Name}: {error.Message}", null);
            }
            catch (TaskCanceledException)
            {
                return new RestFuzzResult(null, $"no answer within {Timeout.TotalSeconds:0} s", null);
            }
        }
    }

    /// <summary>The watch routes answer a good request with a 200 stream that stays open until the caller leaves.</summary>
    private static bool IsEventStream(string target)
    {
        var path = target.Split('?', 2)[0];
        return path.TrimEnd('/').EndsWith("/events/watch", StringComparison.OrdinalIgnoreCase); // routing ignores case and a trailing slash
    }

    /// <summary>
    /// An open stream is an answer: its status and headers, and the complete lines it sent within a second
    /// (a rejection is an ordinary error response that ends by itself).
    /// </summary>
    private async Task<RestFuzzResult> ReadStreamAnswerAsync(HttpRequestMessage request)
    {
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var contentType = response.Content.Headers.ContentType?.ToString();
        if ((int)response.StatusCode is < 200 or >= 300)
        {
            return new RestFuzzResult(new FuzzHttpResponse((int)response.StatusCode, contentType, await response.Content.ReadAsByteArrayAsync()), null, null);
        }
        var read = new MemoryStream();
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, enough.Token)) > 0)
            {
                read.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException) when (enough.IsCancellationRequested)
        {
            // still open: the stream is live
        }
        var bytes = read.ToArray();
        var lastLine = Array.LastIndexOf(bytes, (byte)'\n');
        return new RestFuzzResult(new FuzzHttpResponse((int)response.StatusCode, contentType, bytes[..(lastLine + 1)]), null, null);
    }

    private HttpRequestMessage Build(RestFuzzCase fuzzCase)
    {
        var uri = new Uri($"http://127.0.0.1:{port}{fuzzCase.Target}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(new HttpMethod(fuzzCase.Method), uri) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var hasContentHeaders = fuzzCase.Headers.Any(h => IsContentHeader(h.Key));
        if (fuzzCase.Body is not null || hasContentHeaders || fuzzCase.Chunked)
        {
            var body = fuzzCase.Body ?? [];
            request.Content = fuzzCase.Chunked ? new UnknownLengthContent(body) : new ByteArrayContent(body);
        }
        foreach (var (name, value) in fuzzCase.Headers)
        {
            var added = IsContentHeader(name)
                ? request.Content!.Headers.TryAddWithoutValidation(name, value)
                : request.Headers.TryAddWithoutValidation(name, value);
            if (!added)
            {
                request.Dispose();
                throw new InvalidOperationException($"HttpClient does not take the header {name}: {value}");
            }
        }
        return request;
    }

    private async Task<RestFuzzResult> SendRawAsync(RestFuzzCase fuzzCase, string why)
    {
        var (response, error) = await RawHttp1Client.SendAsync(port, Render(fuzzCase), halfClose: false, Timeout);
        return new RestFuzzResult(response, error, why);
    }

    /// <summary>The case as HTTP/1.1 bytes, for when HttpClient will not send it.</summary>
    private static byte[] Render(RestFuzzCase fuzzCase)
    {
        var head = new StringBuilder();
        head.Append(fuzzCase.Method).Append(' ').Append(fuzzCase.Target).Append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        foreach (var (name, value) in fuzzCase.Headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        var body = fuzzCase.Body ?? [];
        if (fuzzCase.Chunked)
        {
            head.Append("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            byte[] chunks = body.Length == 0 ? [.. "0\r\n\r\n"u8] : [.. Encoding.ASCII.GetBytes($"{body.Length:X}\r\n"), .. body, .. "\r\n0\r\n\r\n"u8];
            return [.. Encoding.Latin1.GetBytes(head.ToString()), .. chunks];
        }
        head.Append("Content-Length: ").Append(body.Length).Append("\r\nConnection: close\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body];
    }

    private static bool IsContentHeader(string name) => name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase);

    public void Dispose() => _http.Dispose();

    /// <summary>Content whose length HttpClient does not know, so it goes out with Transfer-Encoding: chunked.</summary>
    private sealed class UnknownLengthContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
