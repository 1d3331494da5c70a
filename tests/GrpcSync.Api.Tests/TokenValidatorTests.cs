using System.Security.Cryptography;
using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Server.Auth;
using GrpcSync.Server.Hosting;
using Microsoft.Extensions.Options;

namespace GrpcSync.Api.Tests;

/// <summary>The validator on its own: validated tokens are remembered, but never past their expiry; <c>"role": "admin"</c> marks an administrator.</summary>
public sealed class TokenValidatorTests : IDisposable
{
    private const string Project = "proj-cache";
    private const string Host = "grpcsync.test";
    private readonly RSA _key = RSA.Create(2048);
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private readonly TokenValidator _validator;

    public TokenValidatorTests()
    {
        var options = Options.Create(new GrpcSyncOptions
        {
            Auth = new AuthOptions
            {
                AudienceHosts = [Host],
                ClockSkewSeconds = 0,
                Projects = { [Project] = new ProjectKeyOptions { PublicKeyPem = _key.ExportSubjectPublicKeyInfoPem() } },
            },
        });
        _validator = new TokenValidator(options, new ProjectKeys(options), _clock);
    }

    public void Dispose() => _key.Dispose();

    private string Token(string user, TimeSpan lifetime) => DevelopmentKey.CreateToken(_key, Project, user, Host, lifetime);

    [Fact]
    public async Task A_remembered_token_is_refused_as_expired_from_its_exp_on()
    {
        var token = Token("alice", TimeSpan.FromMinutes(2));
        Assert.Equal(new Scope(Project, "alice"), (await _validator.ValidateAsync("Bearer " + token)).Scope);
        Assert.Equal(new Scope(Project, "alice"), (await _validator.ValidateAsync("Bearer " + token)).Scope); // remembered

        // Just past the token's own exp (read from it: the clock was set before the token was made, and on a
        // loaded machine that can be seconds earlier); the signature check would still pass on the real clock.
        var expiresAt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).ValidTo;
        _clock.Now = new DateTimeOffset(expiresAt, TimeSpan.Zero) + TimeSpan.FromSeconds(1);

        var error = await Assert.ThrowsAsync<RpcException>(() => _validator.ValidateAsync("Bearer " + token));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("expired", error.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Each_token_is_remembered_with_its_own_caller_and_a_bad_one_is_never_remembered()
    {
        var alice = Token("alice", TimeSpan.FromMinutes(10));
        var bob = Token("bob", TimeSpan.FromMinutes(10));
        var tampered = alice[..^4] + (alice[^4] == 'A' ? "BBBB" : "AAAA"); // same header and payload, broken signature

        Assert.Equal("alice", (await _validator.ValidateAsync("Bearer " + alice)).Scope.UserId);
        Assert.Equal("bob", (await _validator.ValidateAsync("Bearer " + bob)).Scope.UserId);
        Assert.Equal("alice", (await _validator.ValidateAsync("Bearer " + alice)).Scope.UserId);
        for (var i = 0; i < 2; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => _validator.ValidateAsync("Bearer " + tampered));
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }
    }

    [Fact]
    public async Task A_role_admin_token_is_an_administrator_and_stays_one_when_remembered()
    {
        var admin = "Bearer " + DevelopmentKey.CreateToken(_key, Project, "ops", Host, TimeSpan.FromMinutes(10), admin: true);
        var plain = "Bearer " + Token("ops", TimeSpan.FromMinutes(10));

        var first = await _validator.ValidateAsync(admin);
        Assert.Equal(new AuthenticatedCaller(new Scope(Project, "ops"), IsAdmin: true), first);
        Assert.Equal(first, await _validator.ValidateAsync(admin)); // from the memory
        Assert.True(_validator.TryRecall(admin, out var recalled));
        Assert.True(recalled.IsAdmin);

        // The same user without the claim is the same scope, and not an administrator, remembered apart.
        var user = await _validator.ValidateAsync(plain);
        Assert.Equal(new AuthenticatedCaller(new Scope(Project, "ops"), IsAdmin: false), user);
        Assert.True(_validator.TryRecall(plain, out var recalledUser));
        Assert.False(recalledUser.IsAdmin);
    }

    [Theory]
    [InlineData("\"Admin\"")]
    [InlineData("\"user\"")]
    [InlineData("\"admin \"")]
    [InlineData("[\"admin\"]")]
    [InlineData("true")]
    [InlineData("1")]
    [InlineData("null")]
    public async Task Any_other_role_value_is_an_ordinary_valid_token(string roleJson)
    {
        var token = TokenWithRole(roleJson);

        var caller = await _validator.ValidateAsync("Bearer " + token);

        Assert.Equal(new Scope(Project, "carol"), caller.Scope);
        Assert.False(caller.IsAdmin);
    }

    [Fact]
    public async Task The_role_claim_written_by_hand_as_admin_is_an_administrator()
    {
        var caller = await _validator.ValidateAsync("Bearer " + TokenWithRole("\"admin\""));

        Assert.True(caller.IsAdmin);
    }

    /// <summary>A valid token whose <c>role</c> claim is the raw JSON value given.</summary>
    private string TokenWithRole(string roleJson)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = $$"""{"sub":"carol","aud":"{{Host}}/{{Project}}","iat":{{now}},"nbf":{{now}},"exp":{{now + 600}},"role":{{roleJson}}}""";
        var credentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
            new Microsoft.IdentityModel.Tokens.RsaSecurityKey(_key), Microsoft.IdentityModel.Tokens.SecurityAlgorithms.RsaSha256);
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(payload, credentials);
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
