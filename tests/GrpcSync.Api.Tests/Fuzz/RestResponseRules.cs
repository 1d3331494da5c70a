using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>One broken rule: a stable name (the group) and what was seen.</summary>
public sealed record FuzzViolation(string Check, string Detail);

/// <summary>
/// What every REST answer to a storm case must satisfy: an answer; never 5xx; a 4xx (not a success) for a
/// request that must be rejected; never a victim's data; and for the application's 4xx answers the one error
/// shape of the API: UTF-8 JSON <c>{"code":int,"message":string,"details":[...]}</c> whose details carry a
/// <c>google.rpc.ErrorInfo</c> with a reason, whatever charset the request asked for.
/// </summary>
public static class RestResponseRules
{
    private const string ErrorInfoType = "type.googleapis.com/google.rpc.ErrorInfo";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IEnumerable<FuzzViolation> Check(RestFuzzCase fuzzCase, RestFuzzResult result, VictimTenants victims)
    {
        if (result.Response is not { } response)
        {
            // A client that shuts its side mid-body has given up; the server may drop the request unanswered.
            if (!fuzzCase.HalfClose)
            {
                yield return new("no answer", result.NoResponse ?? "");
            }
            yield break;
        }
        var preview = JunkValues.Preview(response.Body, 240);
        if (response.Status >= 500)
        {
            yield return new("HTTP 5xx", $"{response.Status} {response.ContentType}: {preview}");
        }
        if (fuzzCase.MustBeRejected && response.Status < 400)
        {
            yield return new("accepted a request that must be rejected", $"{response.Status}: {preview}");
        }
        // A victim's own token only goes with requests that must be rejected, where the rule above applies.
        if (fuzzCase.TokenKind != TokenKind.Owner && victims.Leaks(Encoding.Latin1.GetString(response.Body)))
        {
            yield return new("answer contains a victim's data", $"{response.Status}: {preview}");
        }
        if (fuzzCase.Layer == RestLayer.Protocol)
        {
            // Kestrel's own bare answer to broken HTTP syntax: the error-shape rules do not apply (see RestLayer.Protocol).
            yield break;
        }
        if (response.Status is >= 400 and < 500 && fuzzCase.Method != "HEAD")
        {
            foreach (var violation in ErrorShape(response))
            {
                yield return violation;
            }
        }
        else if (response.Status is >= 200 and < 300 && response.Body.Length > 0 && IsJson(response.ContentType) && !IsUtf8(response, out var why))
        {
            yield return new("2xx JSON body is not UTF-8", why);
        }
    }

    private static IEnumerable<FuzzViolation> ErrorShape(FuzzHttpResponse response)
    {
        if (response.Body.Length == 0)
        {
            yield return new("4xx without a body", $"{response.Status}, Content-Type: {response.ContentType ?? "(none)"}");
            yield break;
        }
        if (!IsJson(response.ContentType))
        {
            yield return new("4xx Content-Type is not application/json", $"{response.Status} {response.ContentType ?? "(none)"}: {JunkValues.Preview(response.Body, 160)}");
        }
        if (!IsUtf8(response, out var notUtf8))
        {
            yield return new("error body is not UTF-8", notUtf8);
            yield break;
        }
        var document = ParseOrNull(response.Body);
        if (document is null)
        {
            yield return new("4xx body is not JSON", $"{response.Status}: {JunkValues.Preview(response.Body, 160)}");
            yield break;
        }
        using (document)
        {
            var root = document.RootElement;
            var text = JunkValues.Preview(response.Body, 300);
            if (root.ValueKind != JsonValueKind.Object
                || !root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).SequenceEqual(["code", "details", "message"])
                || root.GetProperty("code").ValueKind != JsonValueKind.Number || !root.GetProperty("code").TryGetInt32(out _)
                || root.GetProperty("message").ValueKind != JsonValueKind.String
                || root.GetProperty("details").ValueKind != JsonValueKind.Array)
            {
                yield return new("4xx body is not {code,message,details}", $"{response.Status}: {text}");
                yield break;
            }
            var hasReason = root.GetProperty("details").EnumerateArray().Any(d =>
                d.ValueKind == JsonValueKind.Object
                && d.TryGetProperty("@type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == ErrorInfoType
                && d.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String && reason.GetString()!.Length > 0);
            if (!hasReason)
            {
                yield return new("4xx details have no ErrorInfo with a reason", $"{response.Status}: {text}");
            }
        }
    }

    private static JsonDocument? ParseOrNull(byte[] body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) && string.Equals(parsed.MediaType, "application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Labelled UTF-8 (or unlabelled, JSON's default) and decodable as UTF-8.</summary>
    private static bool IsUtf8(FuzzHttpResponse response, out string why)
    {
        why = "";
        if (MediaTypeHeaderValue.TryParse(response.ContentType, out var parsed) && parsed.CharSet is { } charset
            && !string.Equals(charset.Trim('"'), "utf-8", StringComparison.OrdinalIgnoreCase))
        {
            why = $"{response.Status} labelled charset={charset}: {JunkValues.Preview(response.Body, 120)}";
            return false;
        }
        try
        {
            StrictUtf8.GetString(response.Body);
            return true;
        }
        catch (DecoderFallbackException)
        {
            why = $"{response.Status} invalid UTF-8 bytes: {JunkValues.Preview(response.Body, 120)}";
            return false;
        }
    }
}
