using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GrpcSync.Connectors;

/// <summary>
/// The stored secret of an OAuth credential: <c>{"refreshToken":"…","accessToken":"…"?,"expiresAt":"…"?}</c>
/// (<c>expiresAt</c> an ISO 8601 instant). The engine rewrites it when it refreshes the access token.
/// </summary>
public sealed record OAuthGrant(string RefreshToken, string? AccessToken, DateTimeOffset? ExpiresAt)
{
    private static readonly string[] Known = ["refreshToken", "accessToken", "expiresAt"];

    /// <summary>The shape problems of a secret as a caller sent it (field paths <c>secret.*</c>); empty when valid.</summary>
    public static List<ConfigurationProblem> Check(JsonElement secret)
    {
        var problems = new List<ConfigurationProblem>();
        if (secret.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ConfigurationProblem("secret", "must be a JSON object {\"refreshToken\":\"…\"} (optionally \"accessToken\" and \"expiresAt\")."));
            return problems;
        }
        foreach (var property in secret.EnumerateObject())
        {
            var field = $"secret.{property.Name}";
            if (!Known.Contains(property.Name, StringComparer.Ordinal))
            {
                problems.Add(new ConfigurationProblem(field, $"is not a known field. Allowed: {string.Join(", ", Known)}."));
            }
            else if (property.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(property.Value.GetString()))
            {
                problems.Add(new ConfigurationProblem(field, "must be a non-empty string."));
            }
            else if (property.Name == "expiresAt" && !TryInstant(property.Value.GetString()!, out _))
            {
                problems.Add(new ConfigurationProblem(field, "must be an ISO 8601 instant such as 2026-12-02T18:00:00Z."));
            }
        }
        if (!secret.TryGetProperty("refreshToken", out _))
        {
            problems.Add(new ConfigurationProblem("secret.refreshToken", "is required: the refresh token of the user's OAuth grant."));
        }
        return problems;
    }

    /// <summary>The stored text (compact JSON) of a credential; a bad one is the credential's permanent error.</summary>
    public static OAuthGrant FromStored(string secret)
    {
        try
        {
            using var document = JsonDocument.Parse(secret);
            if (Check(document.RootElement).Count == 0)
            {
                var root = document.RootElement;
                var access = root.TryGetProperty("accessToken", out var a) ? a.GetString() : null;
                DateTimeOffset? expires = root.TryGetProperty("expiresAt", out var e) && TryInstant(e.GetString()!, out var at) ? at : null;
                return new OAuthGrant(root.GetProperty("refreshToken").GetString()!, access, expires);
            }
        }
        catch (JsonException)
        {
            // the message below; the secret's text must not reach it
        }
        throw new PermanentSourceException("CREDENTIAL_REJECTED",
            "The credential's secret is not an OAuth grant {\"refreshToken\":\"…\"}. Create a new credential and bind it to the Sync.");
    }

    /// <summary>The text to store (compact JSON).</summary>
    public string ToStored()
    {
        var json = new JsonObject { ["refreshToken"] = RefreshToken };
        if (AccessToken is not null)
        {
            json["accessToken"] = AccessToken;
        }
        if (ExpiresAt is { } expires)
        {
            json["expiresAt"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        }
        return json.ToJsonString();
    }

    /// <summary>Tokens are secrets: never printed.</summary>
    public override string ToString() => $"OAuthGrant {{ AccessToken = {(AccessToken is null ? "none" : "set")}, ExpiresAt = {ExpiresAt:O} }}";

    private static bool TryInstant(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
}
