using System.Reflection;
using Xunit.Sdk;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// Base of the API test classes: one <see cref="ServerFixture"/> per class, one new user per test.
/// Each test class is abstract and run by its nested <c>OnSqlite</c> and <c>OnPostgres</c> classes,
/// which pick the fixture (<see cref="SqliteServer"/>, <see cref="PostgresServer"/>).
/// </summary>
public abstract class ApiTest(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    /// <summary>A fresh user of proj-a, so tests never see each other's data.</summary>
    protected TestUser NewUser() => Server.NewUser();

    /// <summary>A fresh administrator of proj-a (token with <c>"role": "admin"</c>).</summary>
    protected TestUser NewAdmin() => Server.NewAdmin();
}

/// <summary>Runs a theory once over REST and once over native gRPC.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BothTransportsAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
    [
        [Transport.Rest],
        [Transport.Grpc],
    ];
}
