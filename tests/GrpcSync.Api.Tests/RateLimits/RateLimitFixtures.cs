using GrpcSync.Api.Tests.Edge;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests.RateLimits;

/// <summary>Small per-caller limits: 2 requests/s with a burst of 5; project proj-b allows a burst of 40.</summary>
public abstract class CallerLimitFixture(TestStore store) : EdgeServerFixture(store)
{
    public const int Burst = 5;
    public const int ProjectBBurst = 40;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["GrpcSync:RateLimits:PermitsPerSecond"] = "2";
        settings["GrpcSync:RateLimits:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[$"GrpcSync:RateLimits:Projects:{ProjectB}:Burst"] = ProjectBBurst.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Failed authentications limited to a burst of 3 per address, refilled at one per 5 s: slow enough that no
/// refill lands during a burst of calls even on a loaded machine.
/// </summary>
public abstract class AddressLimitFixture(TestStore store) : EdgeServerFixture(store)
{
    public const int Burst = 3;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["GrpcSync:RateLimits:Unauthenticated:PermitsPerSecond"] = "0.2";
        settings["GrpcSync:RateLimits:Unauthenticated:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed class SqliteCallerLimitServer() : CallerLimitFixture(TestStore.Sqlite);

public sealed class PostgresCallerLimitServer() : CallerLimitFixture(TestStore.Postgres);

public sealed class SqliteAddressLimitServer() : AddressLimitFixture(TestStore.Sqlite);

public sealed class PostgresAddressLimitServer() : AddressLimitFixture(TestStore.Postgres);
