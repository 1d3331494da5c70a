using GrpcSync.Storage.Postgres;
using GrpcSync.Storage.Relational;
using Npgsql;

namespace GrpcSync.Storage.Tests.Postgres;

/// <summary>The engine and records contract on a real PostgreSQL server: a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresEngineStoreTests(PostgresServerFixture server) : EngineStoreContract
{
    protected override async Task<IEngineTestDatabase> CreateEmptyDatabaseAsync() =>
        new PostgresEngineTestDatabase(server, await server.CreateDatabaseAsync());

    [Fact]
    public async Task Dispatch_SkipsSyncsLockedByAnotherTransaction_WithoutWaiting()
    {
        // An API mutation (or another replica's dispatcher) holds the row: this dispatcher passes over it.
        var (locked, _) = await InsertSyncAsync(Alice, "locked");
        var (free, _) = await InsertSyncAsync(Alice, "free");
        var connectionString = ((PostgresEngineTestDatabase)Database).ConnectionString;
        await using var holder = new NpgsqlConnection(connectionString);
        await holder.OpenAsync();
        await using var tx = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM syncs WHERE id = @id FOR UPDATE", holder, tx))
        {
            lockRow.Parameters.AddWithValue("id", locked.Id);
            await lockRow.ExecuteScalarAsync();
        }

        var started = await DispatchAsync(T0.AddSeconds(1)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([free.Id], started.Select(s => s.Sync.Id));
        await tx.RollbackAsync();
        Assert.Equal([locked.Id], (await DispatchAsync(T0.AddSeconds(2))).Select(s => s.Sync.Id));
    }

    private sealed class PostgresEngineTestDatabase(PostgresServerFixture server, string connectionString) : IEngineTestDatabase
    {
        private readonly List<PostgresSyncStore> _stores = [];

        public string ConnectionString => connectionString;

        public IReadOnlyList<int> KnownMigrationVersions => PostgresMigrations.All.Select(m => m.Version).ToArray();

        public RelationalSyncStore OpenStore()
        {
            var store = new PostgresSyncStore(connectionString);
            _stores.Add(store);
            return store;
        }

        public async Task CreateSchemaAsync(int version)
        {
            var sql = PostgresMigrations.SchemaMigrationsTable + string.Concat(PostgresMigrations.All
                .Where(m => m.Version <= version)
                .Select(m => m.Sql + $"\nINSERT INTO schema_migrations (version, applied_at) VALUES ({m.Version}, 0);\n"));
            await ExecuteAsync(sql);
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand(sql, connection, tx);
            await command.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        public async Task<IReadOnlyList<long>> QueryLongsAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            var values = new List<long>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                values.Add(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
            }
            return values;
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
