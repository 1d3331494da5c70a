using GrpcSync.Testing.Processes;
using Npgsql;
using Xunit;

namespace GrpcSync.Testing.Postgres;

/// <summary>
/// A PostgreSQL server for tests, shared by a test collection; tests never skip for want of one.
/// If <c>GRPCSYNC_TEST_POSTGRES</c> holds a connection string (of a role that may CREATE DATABASE),
/// that server is used. Otherwise a <see cref="ThrowawayPostgres"/> is started from the local PostgreSQL
/// binaries in a temporary directory on a free port (durability off: fsync, synchronous_commit and
/// full_page_writes), as the <c>postgres</c> user when running as root; it is stopped and the directory
/// deleted on dispose. Each test gets its own database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
/// <remarks>
/// Depends only on Npgsql, xunit and <see cref="ThrowawayPostgres"/> (tests/GrpcSync.Testing.Processes: the
/// storage tests link its files, the replica tests reference the project), so other test projects can link
/// this file. Declare a collection in the test project: <c>[CollectionDefinition("Postgres")] public sealed class PostgresCollection :
/// ICollectionFixture&lt;PostgresServerFixture&gt;;</c>
/// </remarks>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "GRPCSYNC_TEST_POSTGRES";

    private ThrowawayPostgres? _server;
    private NpgsqlDataSource? _admin;

    /// <summary>Connection string of the maintenance database ("postgres") as a superuser (or the given role).</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>True when the server was started by this fixture (not taken from the environment).</summary>
    public bool IsThrowaway => _server is not null;

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            AdminConnectionString = external;
        }
        else
        {
            await StartServerAsync();
        }
        _admin = NpgsqlDataSource.Create(AdminConnectionString);
        await using var connection = await _admin.OpenConnectionAsync();
    }

    /// <summary>Creates an empty database with a random name; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken ct = default)
    {
        var name = "grpcsync_test_" + Guid.NewGuid().ToString("N");
        await using (var command = Admin.CreateCommand($"CREATE DATABASE \"{name}\""))
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing any connection still open to it.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database
                   ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        await using var command = Admin.CreateCommand($"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"")}\" WITH (FORCE)");
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private NpgsqlDataSource Admin => _admin ?? throw new InvalidOperationException("The fixture is not initialised.");

    private async Task StartServerAsync()
    {
        _server = await ThrowawayPostgres.StartAsync(new ThrowawayPostgresOptions
        {
            // Tests need no durability; they need speed and many connections (300 backends, pools of 200).
            Settings = new Dictionary<string, string>
            {
                ["max_connections"] = "300",
                ["fsync"] = "off",
                ["synchronous_commit"] = "off",
                ["full_page_writes"] = "off",
            },
            Alternative = $"— or set {EnvironmentVariable} to a connection string of a server where the user may CREATE DATABASE",
        });
        var server = _server;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopOnExit(server);
        AdminConnectionString = new NpgsqlConnectionStringBuilder(server.ConnectionString("postgres")) { MaxPoolSize = 200 }.ConnectionString;
    }

    /// <summary>A test run that ends without disposing the fixture must not leave a server behind.</summary>
    private static void StopOnExit(ThrowawayPostgres server)
    {
        try
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (LaunchException)
        {
            // the process is exiting; pg_ctl's complaint has nowhere to go
        }
    }
}
