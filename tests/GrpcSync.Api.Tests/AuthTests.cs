using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Health.V1;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GrpcSync.Api.Tests;

/// <summary>
/// Every Sync and Credential call needs a valid RS256 user token of a configured project; anything
/// else is 401 / UNAUTHENTICATED. Health endpoints stay open.
/// </summary>
public abstract class AuthTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : AuthTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : AuthTests(server), IClassFixture<PostgresServer>;

    private static readonly JsonWebTokenHandler Handler = new();

    public static TheoryData<Transport, string> BadTokens()
    {
        var data = new TheoryData<Transport, string>();
        foreach (var transport in new[] { Transport.Rest, Transport.Grpc })
        {
            foreach (var name in BadTokenNames)
            {
                data.Add(transport, name);
            }
        }
        return data;
    }

    private static readonly string[] BadTokenNames =
    [
        "no header", "not a bearer", "garbage", "expired", "alg none", "HS256", "wrong audience host",
        "unknown project", "signed by proj-b for proj-a", "no sub", "empty sub", "sub over 256 characters", "no exp", "no iat",
        "not yet valid", "no aud", "tampered payload",
    ];

    /// <summary>The Authorization header value for each bad case (null = no header).</summary>
    private string? AuthorizationFor(string name)
    {
        var user = Guid.NewGuid().ToString();
        var now = DateTime.UtcNow;
        var audA = $"{ServerFixture.AudienceHost}/{ServerFixture.ProjectA}";
        return name switch
        {
            "no header" => null,
            "not a bearer" => "Basic dXNlcjpwYXNz",
            "garbage" => "Bearer garbage",
            "expired" => "Bearer " + Handler.CreateToken(new SecurityTokenDescriptor
            {
                Audience = audA,
                IssuedAt = now.AddMinutes(-10),
                NotBefore = now.AddMinutes(-10),
                Expires = now.AddMinutes(-2), // well past the 30 s clock skew
                Claims = new Dictionary<string, object> { ["sub"] = user },
                SigningCredentials = RsaCredentials(Server.KeyA),
            }),
            "alg none" => "Bearer " + Unsigned(new { sub = user, aud = audA, iat = Epoch(now), exp = Epoch(now.AddMinutes(10)) }),
            "HS256" => "Bearer " + Handler.CreateToken(new SecurityTokenDescriptor
            {
                Audience = audA,
                Expires = now.AddMinutes(10),
                Claims = new Dictionary<string, object> { ["sub"] = user },
                SigningCredentials = new SigningCredentials(
                    new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256),
            }),
            "wrong audience host" => "Bearer " + Signed(Server.KeyA, $"evil.test/{ServerFixture.ProjectA}", user),
            "unknown project" => "Bearer " + Signed(Server.KeyA, $"{ServerFixture.AudienceHost}/proj-z", user),
            "signed by proj-b for proj-a" => "Bearer " + Signed(Server.KeyB, audA, user),
            "no sub" => "Bearer " + Signed(Server.KeyA, audA, sub: null),
            "empty sub" => "Bearer " + Signed(Server.KeyA, audA, sub: ""),
            "no exp" => "Bearer " + new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
            {
                Audience = audA,
                IssuedAt = now,
                Claims = new Dictionary<string, object> { ["sub"] = user },
                SigningCredentials = RsaCredentials(Server.KeyA),
            }),
            "sub over 256 characters" => "Bearer " + Signed(Server.KeyA, audA, sub: new string('u', 257)),
            "no iat" => "Bearer " + new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
            {
                Audience = audA,
                Expires = now.AddMinutes(10),
                Claims = new Dictionary<string, object> { ["sub"] = user },
                SigningCredentials = RsaCredentials(Server.KeyA),
            }),
            "not yet valid" => "Bearer " + Handler.CreateToken(new SecurityTokenDescriptor
            {
                Audience = audA,
                IssuedAt = now,
                NotBefore = now.AddMinutes(5), // beyond the 30 s clock skew
                Expires = now.AddMinutes(10),
                Claims = new Dictionary<string, object> { ["sub"] = user },
                SigningCredentials = RsaCredentials(Server.KeyA),
            }),
            "tampered payload" => "Bearer " + Tampered(Signed(Server.KeyA, audA, user), Guid.NewGuid().ToString()),
            "no aud" => "Bearer " + Handler.CreateToken(new SecurityTokenDescriptor
            {
                Expires = now.AddMinutes(10),
                Claims = new Dictionary<string, object> { ["sub"] = user },
                SigningCredentials = RsaCredentials(Server.KeyA),
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }

    [Theory, MemberData(nameof(BadTokens))]
    public async Task A_BadOrMissingToken_IsUnauthenticated(Transport transport, string token)
    {
        var authorization = AuthorizationFor(token);

        if (transport == Transport.Rest)
        {
            var response = await Server.Rest(HttpMethod.Get, "/api/syncs", authorization: authorization);

            Assert.Equal(401, response.Status);
            Assert.Equal((int)StatusCode.Unauthenticated, response.Body.GetProperty("code").GetInt32());
            var error = RestJson.ParseStatus(response.Text);
            Assert.NotEmpty(error.Reason());
        }
        else
        {
            var headers = new Metadata();
            if (authorization is not null)
            {
                headers.Add("authorization", authorization);
            }

            var error = await Assert.ThrowsAsync<RpcException>(() => Server.Syncs.ListSyncsAsync(new ListSyncsRequest(), headers).ResponseAsync);

            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
            Assert.NotEmpty(error.GetRpcStatus()?.Reason() ?? "");
        }
    }

    [Theory, BothTransports]
    public async Task AnExpiredToken_IsReportedAsExpired(Transport transport)
    {
        var outcome = await new TestUser(Server, "u", ServerFixture.ProjectA, AuthorizationFor("expired")!["Bearer ".Length..])
            .ListSyncs(transport);

        Assert.Equal("TOKEN_EXPIRED", outcome.Fails(StatusCode.Unauthenticated).Reason());
    }

    [Theory, BothTransports]
    public async Task ATokenWithinTheClockSkew_IsAccepted(Transport transport)
    {
        var now = DateTime.UtcNow;
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Audience = $"{ServerFixture.AudienceHost}/{ServerFixture.ProjectA}",
            IssuedAt = now.AddMinutes(-5),
            NotBefore = now.AddMinutes(-5),
            Expires = now.AddSeconds(-5), // expired, but within the 30 s skew
            Claims = new Dictionary<string, object> { ["sub"] = Guid.NewGuid().ToString() },
            SigningCredentials = RsaCredentials(Server.KeyA),
        });

        var outcome = await new TestUser(Server, "u", ServerFixture.ProjectA, token).ListSyncs(transport);

        outcome.Ok();
    }

    [Theory, BothTransports]
    public async Task CredentialCalls_NeedATokenToo(Transport transport)
    {
        var anonymous = new TestUser(Server, "u", ServerFixture.ProjectA, "garbage");

        (await anonymous.CreateCredential(transport)).Fails(StatusCode.Unauthenticated);
        (await anonymous.ListCredentials(transport)).Fails(StatusCode.Unauthenticated);
    }

    [Fact]
    public async Task RestMutations_WithoutAToken_AreUnauthorizedAndChangeNothing()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var patch = await Server.Rest(HttpMethod.Patch, $"/api/syncs/{sync.Id}", """{"incrementalAccumulatorFrequency":"5m"}""");
        var disable = await Server.Rest(HttpMethod.Post, $"/api/syncs/{sync.Id}/disable");
        var delete = await Server.Rest(HttpMethod.Delete, $"/api/syncs/{sync.Id}");

        Assert.Equal(401, patch.Status);
        Assert.Equal(401, disable.Status);
        Assert.Equal(401, delete.Status);
        Assert.Equal(sync.Etag, (await user.Get(sync.Id)).Etag);
    }

    [Fact]
    public async Task Healthz_NeedsNoToken_AndIsHealthy()
    {
        var response = await Server.Rest(HttpMethod.Get, "/healthz");

        Assert.Equal(200, response.Status);
        Assert.Equal("Healthy", response.Text);
    }

    [Fact]
    public async Task GrpcHealthCheck_NeedsNoToken_AndIsServing()
    {
        var health = new Health.HealthClient(Server.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    private static SigningCredentials RsaCredentials(RSA key) =>
        new(new RsaSecurityKey(key), SecurityAlgorithms.RsaSha256);

    private static string Signed(RSA key, string audience, string? sub)
    {
        var claims = new Dictionary<string, object>();
        if (sub is not null)
        {
            claims["sub"] = sub;
        }
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Audience = audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            Claims = claims,
            SigningCredentials = RsaCredentials(key),
        });
    }

    private static string Unsigned(object payload)
    {
        static string Segment(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
        return Segment("""{"alg":"none","typ":"JWT"}""") + "." + Segment(System.Text.Json.JsonSerializer.Serialize(payload)) + ".";
    }

    /// <summary>A validly signed token whose payload was then changed to name another <c>sub</c>.</summary>
    private static string Tampered(string token, string otherSub)
    {
        var parts = token.Split('.');
        var payload = System.Text.Json.Nodes.JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!.AsObject();
        payload["sub"] = otherSub;
        parts[1] = Base64UrlEncoder.Encode(payload.ToJsonString());
        return string.Join('.', parts);
    }

    private static long Epoch(DateTime time) => new DateTimeOffset(time).ToUnixTimeSeconds();
}
