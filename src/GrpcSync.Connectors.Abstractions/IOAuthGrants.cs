namespace GrpcSync.Connectors;

/// <summary>
/// Implemented by a connector whose credentials are OAuth 2.0 refresh-token grants (the secret is an
/// <see cref="OAuthGrant"/>): it knows its token endpoint and client. The engine calls <see cref="RefreshAsync"/>
/// under the credential's refresh lease and hands the connector access tokens through
/// <see cref="SourceContext.AccessTokens"/>.
/// </summary>
public interface IOAuthGrants
{
    /// <summary>
    /// Exchanges the refresh token at the token endpoint (RFC 6749 §6). Throws <see cref="PermanentSourceException"/>
    /// with code <c>CREDENTIAL_REJECTED</c> when the grant is dead (<c>invalid_grant</c>: revoked, expired), and
    /// <see cref="TransientSourceException"/> when the endpoint fails or times out. Messages never carry a token.
    /// </summary>
    Task<OAuthTokens> RefreshAsync(string refreshToken, CancellationToken ct);
}

/// <summary>What a token endpoint answered: an access token, when it expires, and a new refresh token if it rotated it.</summary>
public sealed record OAuthTokens(string AccessToken, DateTimeOffset ExpiresAt, string? RotatedRefreshToken)
{
    /// <summary>Tokens are secrets: never printed.</summary>
    public override string ToString() => $"OAuthTokens {{ ExpiresAt = {ExpiresAt:O}, Rotated = {RotatedRefreshToken is not null} }}";
}
