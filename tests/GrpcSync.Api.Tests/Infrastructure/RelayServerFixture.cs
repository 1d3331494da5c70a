namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// A <see cref="ServerFixture"/> whose engine runs (polling every 100 ms), so the event relay gives events
/// their global positions and project streams see them. The test integrations' runs succeed with no records,
/// so their run events are few and predictable; tests that need exact sequences use the API-only fixture.
/// </summary>
public abstract class RelayServerFixture(TestStore store) : ServerFixture(store)
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["GrpcSync:Engine:Enabled"] = "true";
        settings["GrpcSync:Engine:PollInterval"] = "00:00:00.100";
        settings["GrpcSync:Engine:ShutdownTimeout"] = "00:00:02";
    }
}

/// <summary>The relaying host on a fresh SQLite file.</summary>
public sealed class SqliteRelayServer() : RelayServerFixture(TestStore.Sqlite);

/// <summary>The relaying host on a fresh PostgreSQL database.</summary>
public sealed class PostgresRelayServer() : RelayServerFixture(TestStore.Postgres);
