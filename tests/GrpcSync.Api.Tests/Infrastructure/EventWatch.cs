using System.Text.Json;
using Grpc.Core;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// One open event stream over either transport: native gRPC server streaming (Grpc.Net.Client), or REST
/// (HttpClient reading transcoding's one JSON object per line). One read is pending at a time and survives a
/// timeout, so "nothing arrived yet" never breaks the stream. Disposing it is the client going away.
/// </summary>
public sealed class EventWatch : IAsyncDisposable
{
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);

    private readonly Transport _transport;
    private readonly AsyncServerStreamingCall<StreamedEvent>? _call;
    private readonly HttpResponseMessage? _response;
    private readonly StreamReader? _reader;
    private Outcome<StreamedEvent>? _openFailure;
    private Task<Step>? _pending;

    private EventWatch(Transport transport, AsyncServerStreamingCall<StreamedEvent>? call, HttpResponseMessage? response,
        StreamReader? reader, Outcome<StreamedEvent>? openFailure)
    {
        _transport = transport;
        _call = call;
        _response = response;
        _reader = reader;
        _openFailure = openFailure;
    }

    /// <summary>REST only: every line received so far, as sent.</summary>
    public List<string> Lines { get; } = [];

    /// <summary>REST only: the response's Content-Type.</summary>
    public string? ContentType => _response?.Content.Headers.ContentType?.ToString();

    /// <summary>Opens the stream with the token <paramref name="token"/>: <paramref name="grpc"/> over gRPC, GET <paramref name="restPath"/> over REST.</summary>
    public static async Task<EventWatch> OpenAsync(ServerFixture server, string token, Transport transport, string restPath,
        Func<CallOptions, AsyncServerStreamingCall<StreamedEvent>> grpc)
    {
        if (transport == Transport.Grpc)
        {
            var call = grpc(new CallOptions(new Metadata { { "authorization", "Bearer " + token } }));
            return new EventWatch(transport, call, null, null, null);
        }
        var request = new HttpRequestMessage(HttpMethod.Get, restPath);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if ((int)response.StatusCode != 200)
        {
            var text = await response.Content.ReadAsStringAsync();
            response.Dispose();
            return new EventWatch(transport, null, null, null, RestFailure((int)response.StatusCode, text));
        }
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        return new EventWatch(transport, null, response, reader, null);
    }

    /// <summary>The next message; fails the test when the stream ends, fails or stays quiet for <paramref name="wait"/>.</summary>
    public async Task<StreamedEvent> NextAsync(TimeSpan? wait = null)
    {
        var step = await ReadAsync(wait ?? DefaultWait)
            ?? throw new Xunit.Sdk.XunitException($"{_transport}: no message within {(wait ?? DefaultWait).TotalSeconds} s.");
        if (step.End is { } end)
        {
            throw new Xunit.Sdk.XunitException($"{_transport}: the stream ended ({end.Code}: {end.Error?.Message ?? end.Text}) where a message was expected.");
        }
        return step.Message!;
    }

    /// <summary>The next <paramref name="count"/> messages.</summary>
    public async Task<List<StreamedEvent>> NextAsync(int count, TimeSpan? wait = null)
    {
        var messages = new List<StreamedEvent>(count);
        for (var i = 0; i < count; i++)
        {
            messages.Add(await NextAsync(wait));
        }
        return messages;
    }

    /// <summary>How the stream ended (OK, or the error); fails the test when a message comes instead or it does not end in time.</summary>
    public async Task<Outcome<StreamedEvent>> EndAsync(TimeSpan? wait = null)
    {
        var step = await ReadAsync(wait ?? DefaultWait)
            ?? throw new Xunit.Sdk.XunitException($"{_transport}: the stream did not end within {(wait ?? DefaultWait).TotalSeconds} s.");
        return step.End ?? throw new Xunit.Sdk.XunitException($"{_transport}: expected the stream to end but got {step.Message}");
    }

    /// <summary>Asserts that nothing (no message, no end) arrives for <paramref name="quiet"/>.</summary>
    public async Task ExpectQuietAsync(TimeSpan quiet)
    {
        var step = await ReadAsync(quiet);
        Assert.True(step is null, $"{_transport}: expected nothing, got {(step?.Message?.ToString() ?? step?.End?.Code.ToString())}");
    }

    /// <summary>The next step, or null when nothing came within <paramref name="wait"/> (the read stays pending).</summary>
    private async Task<Step?> ReadAsync(TimeSpan wait)
    {
        if (_openFailure is { } failure)
        {
            return new Step(null, failure);
        }
        _pending ??= _transport == Transport.Grpc ? ReadGrpcAsync() : ReadRestAsync();
        var done = await Task.WhenAny(_pending, Task.Delay(wait));
        if (done != _pending)
        {
            return null;
        }
        var step = await _pending;
        _pending = null;
        if (step.End is not null)
        {
            _openFailure = step.End; // ended: every later read sees the same end
        }
        return step;
    }

    private async Task<Step> ReadGrpcAsync()
    {
        try
        {
            return await _call!.ResponseStream.MoveNext(CancellationToken.None)
                ? new Step(_call.ResponseStream.Current, null)
                : new Step(null, new Outcome<StreamedEvent> { Transport = _transport, Code = StatusCode.OK });
        }
        catch (RpcException error)
        {
            return new Step(null, new Outcome<StreamedEvent>
            {
                Transport = _transport,
                Code = error.StatusCode,
                Error = error.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)error.StatusCode, Message = error.Status.Detail },
            });
        }
    }

    private async Task<Step> ReadRestAsync()
    {
        string? line;
        try
        {
            line = await _reader!.ReadLineAsync();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // The connection broke mid-stream (a reset): not a clean end.
            return new Step(null, new Outcome<StreamedEvent> { Transport = _transport, Code = StatusCode.Unavailable, Text = e.Message });
        }
        if (line is null)
        {
            return new Step(null, new Outcome<StreamedEvent> { Transport = _transport, Code = StatusCode.OK, HttpStatus = 200 });
        }
        Lines.Add(line);
        using var document = JsonDocument.Parse(line);
        if (document.RootElement.TryGetProperty("code", out _) && !document.RootElement.TryGetProperty("event", out _))
        {
            // Transcoding's error after the response started: a final google.rpc.Status line.
            return new Step(null, RestFailure(200, line));
        }
        return new Step(RestJson.ParseMessage<StreamedEvent>(line), null);
    }

    private static Outcome<StreamedEvent> RestFailure(int status, string text)
    {
        JsonElement? json = null;
        Google.Rpc.Status? error = null;
        try
        {
            using var document = JsonDocument.Parse(text);
            json = document.RootElement.Clone();
            error = RestJson.ParseStatus(text);
        }
        catch (Exception e) when (e is JsonException or Google.Protobuf.InvalidProtocolBufferException)
        {
            // Fails() reports the text.
        }
        return new Outcome<StreamedEvent>
        {
            Transport = Transport.Rest,
            Code = error is not null ? (StatusCode)error.Code : StatusCode.Unknown,
            HttpStatus = status,
            Json = json,
            Text = text,
            Error = error,
        };
    }

    public async ValueTask DisposeAsync()
    {
        _call?.Dispose(); // cancels the call: the server sees the client go away
        _reader?.Dispose();
        _response?.Dispose();
        if (_pending is not null)
        {
            try
            {
                await _pending.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // the abandoned read fails one way or another
            }
        }
    }

    private sealed record Step(StreamedEvent? Message, Outcome<StreamedEvent>? End);
}
