using System.Security.Cryptography;
using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Server.Auth;
using GrpcSync.Server.Hosting;
using Microsoft.Extensions.Options;

namespace GrpcSync.Api.Tests;

/// <summary>The validator on its own: validated tokens are remembered, but never past their expiry.</summary>
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
        Assert.Equal(new Scope(Project, "alice"), await _validator.ValidateAsync("Bearer " + token));
        Assert.Equal(new Scope(Project, "alice"), await _validator.ValidateAsync("Bearer " + token)); // remembered

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

        Assert.Equal("alice", (await _validator.ValidateAsync("Bearer " + alice)).UserId);
        Assert.Equal("bob", (await _validator.ValidateAsync("Bearer " + bob)).UserId);
        Assert.Equal("alice", (await _validator.ValidateAsync("Bearer " + alice)).UserId);
        for (var i = 0; i < 2; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => _validator.ValidateAsync("Bearer " + tampered));
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        }
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
