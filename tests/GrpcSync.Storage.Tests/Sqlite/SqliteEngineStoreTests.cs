using GrpcSync.Storage.Relational;
using GrpcSync.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace GrpcSync.Storage.Tests.Sqlite;

/// <summary>The engine and records contract on SQLite: a fresh database file per test.</summary>
public sealed class SqliteEngineStoreTests : EngineStoreContract
{
    protected override Task<IEngineTestDatabase> CreateEmptyDatabaseAsync() =>
        Task.FromResult<IEngineTestDatabase>(new SqliteEngineTestDatabase());

    [Fact]
    public void SqliteStore_IsAnEngineAndARecordStore()
    {
        using var store = new SqliteSyncStore("Data Source=unused.db");
        Assert.IsAssignableFrom<IEngineStore>(store);
        Assert.IsAssignableFrom<IRecordStore>(store);
    }

    private sealed class SqliteEngineTestDatabase : IEngineTestDatabase
    {
        private readonly string _directory;
        private readonly string _path;
        private readonly List<SqliteSyncStore> _stores = [];

        public SqliteEngineTestDatabase()
        {
            _directory = Path.Combine(Path.GetTempPath(), "grpcsync-sqlite-engine-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_directory);
            _path = Path.Combine(_directory, "grpcsync.db");
        }

        public IReadOnlyList<int> KnownMigrationVersions => SqliteMigrations.All.Select(m => m.Version).ToArray();

        public RelationalSyncStore OpenStore()
        {
            var store = new SqliteSyncStore($"Data Source={_path}");
            _stores.Add(store);
            return store;
        }

        public async Task CreateSchemaAsync(int version)
        {
            var sql = SqliteMigrations.SchemaMigrationsTable + string.Concat(SqliteMigrations.All
                .Where(m => m.Version <= version)
                .Select(m => m.Sql + $"\nINSERT INTO schema_migrations (version, applied_at) VALUES ({m.Version}, 0);\n"));
            await ExecuteAsync(sql);
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var tx = connection.BeginTransaction();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }

        public async Task<IReadOnlyList<long>> QueryLongsAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            var values = new List<long>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                values.Add(reader.GetInt64(0));
            }
            return values;
        }

        private async Task<SqliteConnection> OpenAsync()
        {
            var connection = new SqliteConnection($"Data Source={_path};Pooling=False;Default Timeout=30");
            await connection.OpenAsync();
            return connection;
        }

        public ValueTask DisposeAsync()
        {
            foreach (var store in _stores)
            {
                store.Dispose();
            }
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
            return ValueTask.CompletedTask;
        }
    }
}
