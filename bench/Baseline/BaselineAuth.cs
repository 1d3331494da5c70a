using System.Collections.Concurrent;
using System.Security.Cryptography;
using GrpcSync.Domain;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GrpcSync.Bench.Baseline;

/// <summary>
/// The same token checks as GrpcSync's TokenValidator, with the same library: RS256 only, aud =
/// "&lt;host&gt;/&lt;project&gt;", signature by the project's key, unexpired exp, iat and sub present.
/// Null means 401. Like TokenValidator it remembers a validated token (up to <see cref="CacheCapacity"/> tokens, each
/// at most <see cref="CacheFor"/> and never past its <c>exp</c> plus the skew), so the API figures compare the same work:
/// a client sends one token with every call, and checking its RS256 signature costs more than most calls.
/// </summary>
public sealed class BaselineAuth
{
    private const string Prefix = "Bearer ";
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>As TokenValidator.CacheCapacity: when full, the memory is emptied and refills.</summary>
    public const int CacheCapacity = 10_000;

    /// <summary>As TokenValidator.CacheFor.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Validated> _validated = new(StringComparer.Ordinal);

    private sealed record Validated(Scope Scope, DateTimeOffset ExpiresAt, DateTimeOffset RecheckAt);
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly string _projectId;
    private readonly string _audienceHost;
    private readonly RsaSecurityKey _key;

    public BaselineAuth(string publicKeyPem, string projectId, string audienceHost)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(publicKeyPem);
        _key = new RsaSecurityKey(rsa) { KeyId = projectId };
        _projectId = projectId;
        _audienceHost = audienceHost;
    }

    public async Task<Scope?> AuthenticateAsync(string? header)
    {
        if (string.IsNullOrEmpty(header) || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = header[Prefix.Length..].Trim();
        var now = DateTimeOffset.UtcNow;
        if (_validated.TryGetValue(token, out var known))
        {
            if (now >= known.ExpiresAt)
            {
                _validated.TryRemove(token, out _);
                return null;
            }
            if (now < known.RecheckAt)
            {
                return known.Scope;
            }
            _validated.TryRemove(token, out _); // validate it afresh
        }
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (Exception)
        {
            return null;
        }
        // Find the audience that names our project (GrpcSync looks it up among its configured projects).
        string? audience = null;
        foreach (var candidate in jwt.Audiences)
        {
            var slash = candidate.LastIndexOf('/');
            if (slash > 0 && candidate[..slash].Equals(_audienceHost, StringComparison.OrdinalIgnoreCase)
                && candidate[(slash + 1)..] == _projectId)
            {
                audience = candidate;
                break;
            }
        }
        if (audience is null)
        {
            return null;
        }
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidAudience = audience,
            ValidateIssuer = false,
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = ClockSkew,
        });
        if (!result.IsValid || !jwt.TryGetPayloadValue<object>("iat", out _)
            || !jwt.TryGetPayloadValue<string>("sub", out var userId) || string.IsNullOrWhiteSpace(userId)
            || userId.Length > 256 || userId.Any(char.IsControl))
        {
            return null;
        }
        var scope = new Scope(_projectId, userId);
        if (_validated.Count >= CacheCapacity)
        {
            _validated.Clear();
        }
        _validated[token] = new Validated(scope, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero) + ClockSkew, now + CacheFor);
        return scope;
    }
}
