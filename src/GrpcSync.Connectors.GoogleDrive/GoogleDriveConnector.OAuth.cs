using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace GrpcSync.Connectors.GoogleDrive;

// OAuth: the refresh-token grant at the operator's token endpoint (RFC 6749 §6; Google's "Refreshing an access token").
public sealed partial class GoogleDriveConnector
{
    /// <summary>
    /// POSTs <c>grant_type=refresh_token</c> with the operator's client. 400 <c>invalid_grant</c> (revoked, expired,
    /// password changed) → CREDENTIAL_REJECTED; 401 <c>invalid_client</c> → OAUTH_CLIENT_REJECTED (the operator's
    /// settings, not the user's grant); 5xx, 429, timeouts and network failures → transient. Nothing of the tokens or
    /// the client secret reaches a message.
    /// </summary>
    public async Task<OAuthTokens> RefreshAsync(string refreshToken, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(refreshToken);
        if (string.IsNullOrEmpty(_options.ClientId) || string.IsNullOrEmpty(_options.ClientSecret))
        {
            throw new PermanentSourceException("OAUTH_CLIENT_NOT_CONFIGURED",
                "The server has no Google OAuth client: set GrpcSync:Connectors:GoogleDrive:ClientId and ClientSecret.");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, _options.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["client_id"] = _options.ClientId,
                ["client_secret"] = _options.ClientSecret,
                ["refresh_token"] = refreshToken,
                ["grant_type"] = "refresh_token",
            }),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (Exception error) when (error is HttpRequestException or IOException || (error is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new TransientSourceException($"The OAuth token endpoint could not be reached ({error.GetType().Name}).");
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                return ReadTokens(body);
            }
            var (code, description) = ReadOAuthError(body);
            var status = (int)response.StatusCode;
            if (code is "invalid_grant")
            {
                throw new PermanentSourceException("CREDENTIAL_REJECTED", $"The token endpoint rejected the grant (invalid_grant: {Clip(description)}).");
            }
            if (code is "invalid_client" or "unauthorized_client")
            {
                throw new PermanentSourceException("OAUTH_CLIENT_REJECTED",
                    $"The token endpoint rejected the server's OAuth client ({code}); check GrpcSync:Connectors:GoogleDrive:ClientId and ClientSecret.");
            }
            if (status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throw new TransientSourceException($"The OAuth token endpoint answered {status}; the refresh is retried.");
            }
            throw new PermanentSourceException("OAUTH_REFUSED", $"The OAuth token endpoint refused the refresh ({status} {code ?? "no error code"}).");
        }
    }

    /// <summary>
    /// Verification: one refresh and one <c>about.get</c>. A token endpoint that rotates the refresh token here would
    /// leave the credential about to be stored with a dead one, so verification then fails and asks for a new grant.
    /// </summary>
    public async Task VerifyAsync(string secret, CancellationToken ct)
    {
        var grant = OAuthGrant.FromStored(secret);
        var tokens = await RefreshAsync(grant.RefreshToken, ct);
        if (tokens.RotatedRefreshToken is not null)
        {
            throw new PermanentSourceException("VERIFY_ROTATED_TOKEN",
                "The token endpoint rotated the refresh token during verification; create the credential again without \"verify\".");
        }
        var context = new SourceContext(FilesPipeline, default, secret) { AccessTokens = new FixedAccessToken(tokens.AccessToken) };
        using var response = await SendAsync(context, () => new HttpRequestMessage(HttpMethod.Get, ApiUri("drive/v3/about", ("fields", "user"))),
            HttpCompletionOption.ResponseContentRead, ct);
    }

    private static OAuthTokens ReadTokens(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var access = root.GetProperty("access_token").GetString();
            var expiresIn = root.TryGetProperty("expires_in", out var e) && e.TryGetInt64(out var seconds) ? seconds : 3600;
            var rotated = root.TryGetProperty("refresh_token", out var r) ? r.GetString() : null;
            if (string.IsNullOrEmpty(access))
            {
                throw new TransientSourceException("The OAuth token endpoint answered without an access token.");
            }
            return new OAuthTokens(access, DateTimeOffset.UtcNow.AddSeconds(expiresIn), string.IsNullOrEmpty(rotated) ? null : rotated);
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new TransientSourceException("The OAuth token endpoint's answer could not be read.");
        }
    }

    private static (string? Code, string? Description) ReadOAuthError(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            return (root.TryGetProperty("error", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null,
                root.TryGetProperty("error_description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string Clip(string? text) => text is null ? "no description" : text.Length <= 200 ? text : text[..200] + "…";

    /// <summary>The access token verification just obtained (no store behind it).</summary>
    private sealed class FixedAccessToken(string token) : IAccessTokens
    {
        public ValueTask<string> GetAsync(CancellationToken ct) => ValueTask.FromResult(token);

        public ValueTask<string> RenewAsync(string rejected, CancellationToken ct) =>
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "Google Drive refused the access token the grant just gave.");
    }
}
