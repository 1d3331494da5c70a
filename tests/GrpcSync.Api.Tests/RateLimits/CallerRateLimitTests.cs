using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using GrpcSync.Api.Tests.Edge;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.RateLimits;

/// <summary>
/// A token bucket per (project, user): a noisy caller is refused with RESOURCE_EXHAUSTED / HTTP 429,
/// Retry-After and RATE_LIMITED, the same on both transports, while a quiet caller is served meanwhile.
/// </summary>
public abstract class CallerRateLimitTests(CallerLimitFixture server)
{
    public sealed class OnSqlite(SqliteCallerLimitServer server) : CallerRateLimitTests(server), IClassFixture<SqliteCallerLimitServer>;

    public sealed class OnPostgres(PostgresCallerLimitServer server) : CallerRateLimitTests(server), IClassFixture<PostgresCallerLimitServer>;

    /// <summary>One ListSyncs call; for a refusal, checks its whole shape on the wire. True when served.</summary>
    private async Task<bool> ListSyncs(Transport transport, TestUser user)
    {
        if (transport == Transport.Grpc)
        {
            try
            {
                await server.Syncs.ListSyncsAsync(new ListSyncsRequest(), new Metadata { { "authorization", "Bearer " + user.Token } });
                return true;
            }
            catch (RpcException error)
            {
                Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
                var status = error.GetRpcStatus()!;
                Assert.Equal("RATE_LIMITED", status.Reason());
                var retry = status.Details.Single(d => d.Is(Google.Rpc.RetryInfo.Descriptor)).Unpack<Google.Rpc.RetryInfo>();
                Assert.True(retry.RetryDelay.ToTimeSpan() >= TimeSpan.FromSeconds(1));
                Assert.True(int.Parse(error.Trailers.GetValue("retry-after")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
                return false;
            }
        }
        using var request = WireErrors.Request(HttpMethod.Get, "/api/syncs", user.Token);
        using var response = await server.Http.SendAsync(request);
        if ((int)response.StatusCode == 200)
        {
            return true;
        }
        var body = await WireErrors.AssertError(response, 429, "RATE_LIMITED");
        Assert.Equal(8, body.GetProperty("code").GetInt32());
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        return false;
    }

    [Theory]
    [InlineData(Transport.Grpc)]
    [InlineData(Transport.Rest)]
    public async Task ANoisyCallerIsRefused_WhileAQuietOneIsServed(Transport transport)
    {
        var noisy = server.NewUser();
        var quiet = server.NewUser();
        var clock = Stopwatch.StartNew();

        var noisyCalls = Task.Run(async () =>
        {
            var served = 0;
            var refused = 0;
            for (var i = 0; i < 30; i++)
            {
                if (await ListSyncs(transport, noisy)) { served++; } else { refused++; }
            }
            return (served, refused);
        });
        var quietServed = 0;
        for (var i = 0; i < 3; i++)
        {
            quietServed += await ListSyncs(transport, quiet) ? 1 : 0;
        }
        var (noisyServed, noisyRefused) = await noisyCalls;
        var seconds = clock.Elapsed.TotalSeconds;

        Assert.Equal(3, quietServed);
        // The burst, plus what 2/s refilled meanwhile (and one for rounding): never more.
        Assert.InRange(noisyServed, CallerLimitFixture.Burst, CallerLimitFixture.Burst + (int)Math.Ceiling(2 * seconds) + 1);
        Assert.Equal(30 - noisyServed, noisyRefused);
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task TheSameUserIsOneCaller_OverBothTransports()
    {
        var user = server.NewUser();
        var served = 0;
        for (var i = 0; i < 20; i++)
        {
            served += await ListSyncs(i % 2 == 0 ? Transport.Grpc : Transport.Rest, user) ? 1 : 0;
        }
        Assert.InRange(served, CallerLimitFixture.Burst, CallerLimitFixture.Burst + 4);
    }

    [Fact]
    public async Task AProjectWithItsOwnLimit_GetsIt()
    {
        var projectB = server.NewUser(ServerFixture.ProjectB);
        for (var i = 0; i < 30; i++)
        {
            Assert.True(await ListSyncs(Transport.Grpc, projectB), $"call {i + 1} of a burst of {CallerLimitFixture.ProjectBBurst} was refused");
        }
    }

    [Fact]
    public async Task HealthAndDocs_AreNotLimited()
    {
        var health = new Health.HealthClient(server.Channel);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
            Assert.Equal(200, (int)(await server.Http.GetAsync("/healthz")).StatusCode);
        }
        Assert.Equal(200, (int)(await server.Http.GetAsync("/swagger/v1/swagger.json")).StatusCode);
    }
}
