using Grpc.Core;
using GrpcSync.Api.Tests.Edge;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.RateLimits;

/// <summary>
/// Failed authentications are charged to the remote address; once it has none left, tokens not already
/// known to be valid are refused before any signature check, while callers with a remembered token go on.
/// </summary>
public abstract class AddressRateLimitTests(AddressLimitFixture server)
{
    public sealed class OnSqlite(SqliteAddressLimitServer server) : AddressRateLimitTests(server), IClassFixture<SqliteAddressLimitServer>;

    public sealed class OnPostgres(PostgresAddressLimitServer server) : AddressRateLimitTests(server), IClassFixture<PostgresAddressLimitServer>;

    private async Task<StatusCode> ListSyncs(string token)
    {
        try
        {
            await server.Syncs.ListSyncsAsync(new ListSyncsRequest(), new Metadata { { "authorization", "Bearer " + token } });
            return StatusCode.OK;
        }
        catch (RpcException error)
        {
            return error.StatusCode;
        }
    }

    [Fact]
    public async Task AFloodOfBadTokens_IsRefusedBeforeItsTokensAreChecked()
    {
        var known = server.NewUser();
        Assert.Equal(StatusCode.OK, await ListSyncs(known.Token)); // validated now, remembered from here on

        var codes = new List<StatusCode>();
        for (var i = 0; i < 12; i++)
        {
            codes.Add(await ListSyncs("not-a-jwt-" + i));
        }
        Assert.True(codes.Take(AddressLimitFixture.Burst).All(c => c == StatusCode.Unauthenticated), string.Join(",", codes));
        Assert.Contains(StatusCode.ResourceExhausted, codes);
        Assert.All(codes, c => Assert.True(c is StatusCode.Unauthenticated or StatusCode.ResourceExhausted));

        // Over REST the refusal is a 429 with the error shape.
        using (var request = WireErrors.Request(HttpMethod.Get, "/api/syncs", "still-not-a-jwt"))
        using (var response = await server.Http.SendAsync(request))
        {
            await WireErrors.AssertError(response, 429, "RATE_LIMITED");
        }

        // A caller whose token was already validated is not affected; a token never seen waits for the refill.
        Assert.Equal(StatusCode.OK, await ListSyncs(known.Token));
        var fresh = server.NewUser();
        Assert.Equal(StatusCode.ResourceExhausted, await ListSyncs(fresh.Token));
        var deadline = DateTime.UtcNow.AddSeconds(30); // a permit returns within 5 s
        StatusCode code;
        while ((code = await ListSyncs(fresh.Token)) == StatusCode.ResourceExhausted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }
        Assert.Equal(StatusCode.OK, code);
        server.Logs.AssertNoErrors();
    }
}
