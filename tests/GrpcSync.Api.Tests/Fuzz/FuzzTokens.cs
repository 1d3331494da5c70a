using System.Security.Cryptography;
using System.Text;
using GrpcSync.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GrpcSync.Api.Tests.Fuzz;

public enum TokenKind
{
    /// <summary>Not a valid user token: every request with it must be rejected (401).</summary>
    Invalid,

    /// <summary>A valid token of a user who owns none of the victims' data (its requests on their ids must be rejected).</summary>
    Stranger,

    /// <summary>A victim's own token: the storm uses it only with requests that must be rejected whatever their ids.</summary>
    Owner,
}

/// <summary>An <c>Authorization</c> header value (null = no header) and what the server must make of it.</summary>
public sealed record FuzzToken(string Label, string? Authorization, TokenKind Kind);

/// <summary>
/// The callers of a storm: the victims themselves, strangers (a third user, and each victim's user id seen through
/// the other project, which is another tenant), and the bad tokens of <c>AuthTests</c> plus some cruder junk.
/// </summary>
public sealed class FuzzTokens
{
    private static readonly JsonWebTokenHandler Handler = new();

    private FuzzTokens(IReadOnlyList<FuzzToken> owners, IReadOnlyList<FuzzToken> strangers, IReadOnlyList<FuzzToken> invalid)
    {
        Owners = owners;
        Strangers = strangers;
        Invalid = invalid;
    }

    public IReadOnlyList<FuzzToken> Owners { get; }
    public IReadOnlyList<FuzzToken> Strangers { get; }
    public IReadOnlyList<FuzzToken> Invalid { get; }

    /// <summary>The raw bearer token of the first stranger (for cases that build their own header around it).</summary>
    public string StrangerToken => Strangers[0].Authorization!["Bearer ".Length..];

    public static FuzzTokens Create(ServerFixture server, VictimTenants victims)
    {
        var now = DateTime.UtcNow;
        var audA = $"{ServerFixture.AudienceHost}/{ServerFixture.ProjectA}";
        var someone = Guid.NewGuid().ToString();
        var stranger = server.NewUser(ServerFixture.ProjectA);
        var strangerB = server.NewUser(ServerFixture.ProjectB);
        var valid = server.TokenFor(someone);

        return new FuzzTokens(
            victims.All.Select(v => new FuzzToken($"owner {v.Marker.Split('-')[0]}-{v.Marker.Split('-')[1]}", "Bearer " + v.User.Token, TokenKind.Owner)).ToArray(),
            [
                new("stranger proj-a", "Bearer " + stranger.Token, TokenKind.Stranger),
                new("stranger proj-b", "Bearer " + strangerB.Token, TokenKind.Stranger),
                // An administrator of proj-a: reaches the webhook routes' validation instead of their 403.
                new("admin stranger proj-a", "Bearer " + server.NewAdmin(ServerFixture.ProjectA).Token, TokenKind.Stranger),
                new("victim-a's user id in proj-b", "Bearer " + server.TokenFor(victims.A.User.UserId, ServerFixture.ProjectB), TokenKind.Stranger),
                new("victim-b's user id in proj-a", "Bearer " + server.TokenFor(victims.B.User.UserId, ServerFixture.ProjectA), TokenKind.Stranger),
            ],
            [
                new("missing", null, TokenKind.Invalid),
                new("garbage", "Bearer garbage", TokenKind.Invalid),
                new("empty bearer", "Bearer ", TokenKind.Invalid),
                new("basic auth", "Basic dXNlcjpwYXNz", TokenKind.Invalid),
                new("no scheme", valid, TokenKind.Invalid),
                new("three dots of junk", "Bearer a.b.c", TokenKind.Invalid),
                new("8 KiB of junk", "Bearer " + new string('x', 8192), TokenKind.Invalid),
                new("expired", "Bearer " + Handler.CreateToken(new SecurityTokenDescriptor
                {
                    Audience = audA,
                    IssuedAt = now.AddMinutes(-10),
                    NotBefore = now.AddMinutes(-10),
                    Expires = now.AddMinutes(-2),
                    Claims = new Dictionary<string, object> { ["sub"] = someone },
                    SigningCredentials = Rsa(server.KeyA),
                }), TokenKind.Invalid),
                new("alg none", "Bearer " + Unsigned(new { sub = someone, aud = audA, iat = Epoch(now), exp = Epoch(now.AddMinutes(10)) }), TokenKind.Invalid),
                new("HS256", "Bearer " + Handler.CreateToken(new SecurityTokenDescriptor
                {
                    Audience = audA,
                    Expires = now.AddMinutes(10),
                    Claims = new Dictionary<string, object> { ["sub"] = someone },
                    SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256),
                }), TokenKind.Invalid),
                new("signed by proj-b's key for proj-a", "Bearer " + DevelopmentKeyToken(server.KeyB, ServerFixture.ProjectA, someone), TokenKind.Invalid),
                new("unknown project", "Bearer " + DevelopmentKeyToken(server.KeyA, "proj-z", someone), TokenKind.Invalid),
                new("tampered payload", "Bearer " + Tampered(valid, Guid.NewGuid().ToString()), TokenKind.Invalid),
                new("valid token with trailing junk", "Bearer " + valid + "x", TokenKind.Invalid),
            ]);
    }

    private static string DevelopmentKeyToken(RSA key, string projectId, string userId) =>
        GrpcSync.Server.Auth.DevelopmentKey.CreateToken(key, projectId, userId, ServerFixture.AudienceHost, TimeSpan.FromMinutes(30));

    private static SigningCredentials Rsa(RSA key) => new(new RsaSecurityKey(key), SecurityAlgorithms.RsaSha256);

    private static long Epoch(DateTime time) => new DateTimeOffset(time).ToUnixTimeSeconds();

    private static string Unsigned(object payload) =>
        Base64Url("""{"alg":"none","typ":"JWT"}""") + "." + Base64Url(System.Text.Json.JsonSerializer.Serialize(payload)) + ".";

    private static string Tampered(string token, string otherSub)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        var json = System.Text.Json.Nodes.JsonNode.Parse(payload)!.AsObject();
        json["sub"] = otherSub;
        return parts[0] + "." + Base64Url(json.ToJsonString()) + "." + parts[2];
    }

    private static string Base64Url(string text) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(text));
}
