namespace GrpcSync.Testing.Postgres;

/// <summary>
/// One PostgreSQL server per test process, started on first use and stopped when the process exits
/// (<see cref="PostgresServerFixture"/> stops its server on ProcessExit). xunit v2 has no assembly
/// fixtures and class fixtures cannot take collection fixtures, so the class fixtures of the API and
/// engine suites share the server through this, each with a fresh database of its own.
/// </summary>
/// <remarks>
/// A server that cannot start fails every test that asks for it (the exception is kept and rethrown),
/// never skips them: missing PostgreSQL binaries must be loud.
/// </remarks>
public static class SharedPostgresServer
{
    private static readonly Lazy<Task<PostgresServerFixture>> Server = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The shared server (started now if it is not yet).</summary>
    public static Task<PostgresServerFixture> GetAsync() => Server.Value;

    /// <summary>A new, empty database on the shared server; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(CancellationToken ct = default) =>
        await (await GetAsync()).CreateDatabaseAsync(ct);

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/> (closing connections still open to it).</summary>
    public static async Task DropDatabaseAsync(string connectionString) =>
        await (await GetAsync()).DropDatabaseAsync(connectionString);

    private static async Task<PostgresServerFixture> StartAsync()
    {
        var server = new PostgresServerFixture();
        await server.InitializeAsync();
        return server;
    }
}
