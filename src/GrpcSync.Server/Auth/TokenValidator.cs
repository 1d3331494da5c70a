using System.Collections.Concurrent;
using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Server.Errors;
using GrpcSync.Server.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GrpcSync.Server.Auth;

/// <summary>
/// Validates a Paragon-style user token: RS256 only, signed with the key of the project named in
/// <c>aud</c> (<c>&lt;audience host&gt;/&lt;projectId&gt;</c>), with <c>sub</c>, <c>iat</c> and an
/// unexpired <c>exp</c>. Anything else is UNAUTHENTICATED. Tokens are never logged. A token whose
/// <c>role</c> claim is <c>"admin"</c> is a project administrator's (<see cref="AuthenticatedCaller.IsAdmin"/>);
/// any other or no <c>role</c> is an ordinary user token, never an error.
/// </summary>
/// <remarks>
/// A token that validated is remembered (up to <see cref="CacheCapacity"/> tokens, each at most
/// <see cref="CacheFor"/>): a client sends the same token with every call, and checking its RS256 signature
/// costs more server CPU than most calls do otherwise (docs/ARCHITECTURE.md). A remembered token is still refused from the
/// moment it expires (its <c>exp</c> plus the clock skew, as on first validation). Project keys are loaded
/// once at start-up, so nothing that decided the first validation can change while a token is remembered.
/// </remarks>
public sealed class TokenValidator(IOptions<GrpcSyncOptions> options, ProjectKeys keys, TimeProvider time)
{
    /// <summary>Most validated tokens remembered; when full, the memory is emptied and refills.</summary>
    public const int CacheCapacity = 10_000;

    /// <summary>Longest a validated token is trusted without checking its signature again.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly AuthOptions _auth = options.Value.Auth;
    private readonly ConcurrentDictionary<string, Validated> _validated = new(StringComparer.Ordinal);

    private sealed record Validated(AuthenticatedCaller Caller, DateTimeOffset ExpiresAt, DateTimeOffset RecheckAt);

    private const string BearerPrefix = "Bearer ";

    /// <summary>
    /// The caller of a token validated earlier and still trusted (unexpired, not due for a re-check), without
    /// any signature work; false means <see cref="ValidateAsync"/> must decide.
    /// </summary>
    public bool TryRecall(string? authorizationHeader, out AuthenticatedCaller caller)
    {
        caller = default;
        if (string.IsNullOrEmpty(authorizationHeader) || !authorizationHeader.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)
            || !_validated.TryGetValue(authorizationHeader[BearerPrefix.Length..].Trim(), out var known))
        {
            return false;
        }
        var now = time.GetUtcNow();
        if (now >= known.ExpiresAt || now >= known.RecheckAt)
        {
            return false;
        }
        caller = known.Caller;
        return true;
    }

    public async Task<AuthenticatedCaller> ValidateAsync(string? authorizationHeader)
    {
        const string prefix = BearerPrefix;
        if (string.IsNullOrEmpty(authorizationHeader) || !authorizationHeader.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            throw Unauthenticated("TOKEN_MISSING", "Missing bearer token: send 'Authorization: Bearer <user token>'.");
        }
        var token = authorizationHeader[prefix.Length..].Trim();

        var now = time.GetUtcNow();
        if (_validated.TryGetValue(token, out var known))
        {
            if (now >= known.ExpiresAt)
            {
                _validated.TryRemove(token, out _);
                throw Expired();
            }
            if (now < known.RecheckAt)
            {
                return known.Caller;
            }
            _validated.TryRemove(token, out _); // validate it afresh
        }

        return await ValidateSignedAsync(token);
    }

    private async Task<AuthenticatedCaller> ValidateSignedAsync(string token)
    {
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (Exception)
        {
            throw Unauthenticated("TOKEN_MALFORMED", "The bearer token is not a well-formed JWT.");
        }

        var (audience, projectId, key) = FindProject(jwt);
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidAudience = audience,
            ValidateIssuer = false,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(_auth.ClockSkewSeconds),
        });
        if (!result.IsValid)
        {
            throw result.Exception is SecurityTokenExpiredException
                ? Expired()
                : Unauthenticated("TOKEN_INVALID", "The bearer token is invalid (RS256 signature by the project's key required).");
        }

        if (!jwt.TryGetPayloadValue<object>("iat", out _))
        {
            throw Unauthenticated("TOKEN_INVALID", "The bearer token has no 'iat' claim.");
        }
        if (!jwt.TryGetPayloadValue<string>("sub", out var userId) || string.IsNullOrWhiteSpace(userId) || userId.Length > 256 || userId.Any(char.IsControl))
        {
            throw Unauthenticated("TOKEN_INVALID", "The bearer token has no valid 'sub' claim (the user id).");
        }
        var caller = new AuthenticatedCaller(new Scope(projectId, userId), IsAdmin(jwt));
        Remember(token, caller, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero) + TimeSpan.FromSeconds(_auth.ClockSkewSeconds));
        return caller;
    }

    /// <summary>Exactly the string <c>"admin"</c>; a number, an array or another spelling is an ordinary token.</summary>
    private static bool IsAdmin(JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<object>(AuthenticatedCaller.RoleClaim, out var role)
        && role is string value
        && string.Equals(value, AuthenticatedCaller.AdminRole, StringComparison.Ordinal);

    private void Remember(string token, AuthenticatedCaller caller, DateTimeOffset expiresAt)
    {
        if (_validated.Count >= CacheCapacity)
        {
            _validated.Clear(); // simple and bounded; a busy server re-validates each live token once
        }
        _validated[token] = new Validated(caller, expiresAt, time.GetUtcNow() + CacheFor);
    }

    private static RpcException Expired() => Unauthenticated("TOKEN_EXPIRED", "The bearer token has expired.");

    private (string Audience, string ProjectId, RsaSecurityKey Key) FindProject(JsonWebToken jwt)
    {
        foreach (var audience in jwt.Audiences)
        {
            var slash = audience.LastIndexOf('/');
            if (slash <= 0)
            {
                continue;
            }
            var host = audience[..slash];
            var projectId = audience[(slash + 1)..];
            if (_auth.EffectiveAudienceHosts.Contains(host, StringComparer.OrdinalIgnoreCase) && keys.TryGet(projectId, out var key))
            {
                return (audience, projectId, key);
            }
        }
        throw Unauthenticated("UNKNOWN_AUDIENCE", "The token's 'aud' does not name a configured project ('<host>/<projectId>').");
    }

    private static RpcException Unauthenticated(string reason, string message) =>
        RpcErrors.Build(Google.Rpc.Code.Unauthenticated, message, reason);
}
