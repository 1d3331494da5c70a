using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A server stream read by `buf curl` (schema from reflection): it prints each message as indented JSON, so
/// a message ends at a line that is just <c>}</c>. Messages are handed on as they arrive.
/// </summary>
public sealed class BufCurlStream : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly Channel<JsonObject> _messages = Channel.CreateUnbounded<JsonObject>();
    private readonly StringBuilder _current = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _token;

    private BufCurlStream(string grpcBaseAddress, string method, string json, string token)
    {
        _token = token;
        _process = ChildProcess.Start(new ChildProcessOptions
        {
            FileName = BufCurl.Buf,
            Arguments = ["curl", "--http2-prior-knowledge", "--protocol", "grpc", "-H", $"Authorization: Bearer {token}", "-d", json, $"{grpcBaseAddress}/{method}"],
            OnOutput = OnLine,
            OnError = line =>
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(line);
                }
            },
        });
    }

    public static BufCurlStream Start(string grpcBaseAddress, string method, string json, string token) => new(grpcBaseAddress, method, json, token);

    public string StdErr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString().Replace(_token, "<redacted>", StringComparison.Ordinal);
            }
        }
    }

    private void OnLine(string line)
    {
        _current.AppendLine(line);
        if (line == "}")
        {
            _messages.Writer.TryWrite(JsonNode.Parse(_current.ToString())!.AsObject());
            _current.Clear();
        }
    }

    /// <summary>The next message; fails when none comes within <paramref name="wait"/>.</summary>
    public async Task<JsonObject> NextAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            return await _messages.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"buf curl printed no message within {wait.TotalSeconds:0} s (exited: {_process.HasExited}).{Environment.NewLine}{StdErr}");
            throw;
        }
    }

    /// <summary>Waits for buf curl to exit and returns its exit code (0: the stream ended OK).</summary>
    public async Task<int> ExitCodeAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"buf curl did not exit within {wait.TotalSeconds:0} s.{Environment.NewLine}{StdErr}");
        }
        return _process.ExitCode;
    }

    /// <summary>Messages printed but not read yet.</summary>
    public List<JsonObject> Unread()
    {
        var rest = new List<JsonObject>();
        while (_messages.Reader.TryRead(out var message))
        {
            rest.Add(message);
        }
        return rest;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

/// <summary>A REST event stream: transcoding's one JSON object per line, read with HttpClient as it arrives.</summary>
public sealed class RestLineStream : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;
    private Task<string?>? _pending;

    private RestLineStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<RestLineStream> OpenAsync(HttpClient http, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if ((int)response.StatusCode != 200)
        {
            // Read the body only when it is an error: a stream's body never ends.
            Assert.Fail($"GET {path} -> {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        return new RestLineStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next line as JSON, or null when the stream ended cleanly (a reset throws).</summary>
    public async Task<JsonObject?> NextAsync(TimeSpan wait)
    {
        _pending ??= _reader.ReadLineAsync();
        var done = await Task.WhenAny(_pending, Task.Delay(wait));
        Assert.True(done == _pending, $"No line and no end of the REST stream within {wait.TotalSeconds:0} s.");
        var line = await _pending;
        _pending = null;
        return line is null ? null : JsonNode.Parse(line)!.AsObject();
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}
