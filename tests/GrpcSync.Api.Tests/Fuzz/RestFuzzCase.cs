using System.Text;

namespace GrpcSync.Api.Tests.Fuzz;

public enum RestLayer
{
    /// <summary>Reaches the application (routing, middleware, transcoding): every rule of the storm applies.</summary>
    App,

    /// <summary>
    /// Breaks HTTP/1.1 syntax itself (request line, header block), which Kestrel answers with a bare 400/414/431
    /// before any application code runs, so the body shape cannot be the application's. Checked for: an answer,
    /// a 4xx, and no error log.
    /// </summary>
    Protocol,
}

/// <summary>One generated bad request: what is sent, how, and what the server must at least do with it.</summary>
public sealed class RestFuzzCase
{
    public required int Index { get; init; }

    /// <summary>The OpenAPI route it was derived from ("PATCH /api/syncs/{syncId}").</summary>
    public required string Route { get; init; }

    /// <summary>The mutations applied, e.g. ["body.truncated", "header.content-type"].</summary>
    public required IReadOnlyList<string> Kinds { get; init; }

    public required string Method { get; init; }

    /// <summary>Path and query exactly as sent (already percent-encoded, or deliberately not).</summary>
    public required string Target { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }

    public byte[]? Body { get; init; }

    /// <summary>Send the body with Transfer-Encoding: chunked (no Content-Length).</summary>
    public bool Chunked { get; init; }

    /// <summary>The whole request as bytes, sent over a plain TcpClient (for what HttpClient refuses to send).</summary>
    public byte[]? Raw { get; init; }

    /// <summary>Raw only: shut the sending side after writing, as a client that gives up mid-body does.</summary>
    public bool HalfClose { get; init; }

    public required bool MustBeRejected { get; init; }

    public RestLayer Layer { get; init; } = RestLayer.App;

    public required string TokenLabel { get; init; }

    public required TokenKind TokenKind { get; init; }

    /// <summary>The Authorization value sent, so descriptions can show its label instead of the token.</summary>
    public string? Authorization { get; init; }

    public string Kind => string.Join("+", Kinds);

    /// <summary>A replayable description: the case, method, target, headers, body prefix (tokens by label).</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append($"case #{Index} [{Kind}] {Route}, token: {TokenLabel}");
        if (Raw is not null)
        {
            var raw = Encoding.Latin1.GetString(Raw);
            if (Authorization is not null)
            {
                raw = raw.Replace(Authorization, $"<{TokenLabel}>", StringComparison.Ordinal);
            }
            var shown = raw.Length <= 900 ? raw : raw[..500] + $" …({raw.Length - 800} bytes)… " + raw[^300..];
            text.Append($"\n      raw TCP{(HalfClose ? " (then half-closed)" : "")}: {JunkValues.Preview(Encoding.Latin1.GetBytes(shown), 1000)}");
            return text.ToString();
        }
        text.Append($"\n      {Method} {Shorten(Target, 300)}");
        foreach (var (name, value) in Headers.Take(12))
        {
            text.Append($"\n      {name}: {(name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) ? $"<{TokenLabel}>" : Shorten(value, 200))}");
        }
        if (Headers.Count > 12)
        {
            text.Append($"\n      … {Headers.Count - 12} more headers ({string.Join(", ", Headers.Skip(12).Select(h => h.Key).Take(3))}, …)");
        }
        if (Chunked)
        {
            text.Append("\n      Transfer-Encoding: chunked");
        }
        if (Body is not null)
        {
            text.Append($"\n      body: {JunkValues.Preview(Body)}");
        }
        return text.ToString();
    }

    private static string Shorten(string value, int max) => value.Length <= max ? value : value[..max] + $"… ({value.Length} chars)";
}
