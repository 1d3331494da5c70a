using GrpcSync.Storage.Postgres;
using Npgsql;

namespace GrpcSync.Storage.Tests.Postgres;

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "Postgres";
}

/// <summary>The contract on a real PostgreSQL server: a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSyncStoreTests(PostgresServerFixture server) : SyncStoreContract
{
    protected override async Task<ITestDatabase> CreateEmptyDatabaseAsync() =>
        new PostgresTestDatabase(server, await server.CreateDatabaseAsync());

    private sealed class PostgresTestDatabase(PostgresServerFixture server, string connectionString) : ITestDatabase
    {
        private readonly List<PostgresSyncStore> _stores = [];

        public IReadOnlyList<int> KnownMigrationVersions => PostgresMigrations.All.Select(m => m.Version).ToArray();

        public ISyncStore OpenStore()
        {
            var store = new PostgresSyncStore(connectionString);
            _stores.Add(store);
            return store;
        }

        public async Task<IReadOnlyList<int>> ReadAppliedMigrationVersionsAsync()
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", connection);
            var versions = new List<int>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                versions.Add(reader.GetInt32(0));
            }
            return versions;
        }

        public async Task SetCredentialIdUncheckedAsync(Guid syncId, Guid? credentialId)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("UPDATE syncs SET credential_id = @credential_id WHERE id = @id", connection);
            command.Parameters.AddWithValue("id", syncId);
            command.Parameters.AddWithValue("credential_id", (object?)credentialId ?? DBNull.Value);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        public async Task<long> CountRowsAsync(string table)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }

        public async Task ExecuteUncheckedAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var store in _stores)
            {
                await store.DisposeAsync();
            }
            await server.DropDatabaseAsync(connectionString);
        }
    }
}

/// <summary>The connection-string defaults the PostgreSQL store adds (no server needed).</summary>
public sealed class PostgresConnectionDefaultsTests
{
    [Fact]
    public void WithStoreDefaults_TurnsOnAutoPrepare_WhenTheStringSaysNothing()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresSyncStore.WithStoreDefaults("Host=db;Database=grpcsync;Username=app"));

        Assert.Equal(64, builder.MaxAutoPrepare);
        Assert.Equal(2, builder.AutoPrepareMinUsages);
        Assert.Equal(("db", "grpcsync", "app"), (builder.Host, builder.Database, builder.Username));
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0", 0, 5)]
    [InlineData("Host=db;MaxAutoPrepare=0", 0, 5)]
    [InlineData("Host=db;Max Auto Prepare=10;Auto Prepare Min Usages=7", 10, 7)]
    public void WithStoreDefaults_KeepsWhatTheStringSets(string connectionString, int maxAutoPrepare, int minUsages)
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresSyncStore.WithStoreDefaults(connectionString));

        Assert.Equal(maxAutoPrepare, builder.MaxAutoPrepare);
        Assert.Equal(minUsages, builder.AutoPrepareMinUsages); // Npgsql's own default is 5
    }
}
