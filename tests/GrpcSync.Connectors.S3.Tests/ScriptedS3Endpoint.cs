using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GrpcSync.Connectors.S3.Tests;

/// <summary>A request as the scripted endpoint saw it: method and target (path and query, still escaped).</summary>
public sealed record ScriptedRequest(string Method, string Target);

/// <summary>What the scripted endpoint answers: status, extra headers and a body (sent without one for HEAD).</summary>
public sealed record ScriptedResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A tiny HTTP/1.1 server on a loopback port that answers each request as scripted: by default one S3 error (status
/// + XML body) for everything, as a throttled or failing S3 would; or whatever a responder says, for S3 features the
/// test server s3rver lacks (checksums). Real sockets; the connector's SDK client talks HTTP to it.
/// </summary>
public sealed class ScriptedS3Endpoint : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Func<ScriptedRequest, ScriptedResponse> _respond;
    private int _requests;

    public ScriptedS3Endpoint(int status, string code)
        : this(_ => Error(status, code))
    {
    }

    public ScriptedS3Endpoint(Func<ScriptedRequest, ScriptedResponse> respond)
    {
        _respond = respond;
        _listener.Start();
        _loop = AcceptAsync();
    }

    /// <summary>An S3 error response: the status and an XML body with the code.</summary>
    public static ScriptedResponse Error(int status, string code) =>
        new(status, new Dictionary<string, string> { ["Content-Type"] = "application/xml" },
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>Scripted {code}.</Message><RequestId>r1</RequestId></Error>");

    public Uri Endpoint => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            try
            {
                while (true)
                {
                    // Read the head; the requests scripted here (listings, HEADs) have no body.
                    var requestLine = await reader.ReadLineAsync(_stop.Token);
                    if (string.IsNullOrEmpty(requestLine))
                    {
                        return;
                    }
                    while (!string.IsNullOrEmpty(await reader.ReadLineAsync(_stop.Token)))
                    {
                    }
                    Interlocked.Increment(ref _requests);
                    var parts = requestLine.Split(' ');
                    var request = new ScriptedRequest(parts[0], parts.Length > 1 ? parts[1] : "/");
                    var response = _respond(request);
                    var head = new StringBuilder($"HTTP/1.1 {response.Status} Scripted\r\n");
                    foreach (var (name, value) in response.Headers)
                    {
                        head.Append(name).Append(": ").Append(value).Append("\r\n");
                    }
                    head.Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(response.Body)).Append("\r\n\r\n");
                    if (request.Method != "HEAD")
                    {
                        head.Append(response.Body);
                    }
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()), _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // the client went away, or we are stopping
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
