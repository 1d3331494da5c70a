using GrpcSync.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace GrpcSync.Storage.Tests.Sqlite;

/// <summary>The contract on SQLite: a fresh database file per test, plus SQLite-specific checks.</summary>
public sealed class SqliteSyncStoreTests : SyncStoreContract
{
    protected override Task<ITestDatabase> CreateEmptyDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());

    [Fact]
    public async Task Migrate_PutsTheDatabaseFileInWalMode()
    {
        await using var connection = new SqliteConnection(((SqliteSyncStore)Store).ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";

        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public void BeginTransaction_NotDeferred_TakesTheWriteLockAtOnce()
    {
        // The store relies on Microsoft.Data.Sqlite issuing BEGIN IMMEDIATE for BeginTransaction(deferred: false).
        var connectionString = ((SqliteSyncStore)Store).ConnectionString;
        using var holder = new SqliteConnection(connectionString);
        holder.Open();
        using var other = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = 1 }.ToString());
        other.Open();
        using (var noWait = other.CreateCommand())
        {
            noWait.CommandText = "PRAGMA busy_timeout = 0";
            noWait.ExecuteNonQuery();
        }

        using (holder.BeginTransaction(deferred: true))
        {
            using var write = other.BeginTransaction(deferred: false); // a deferred transaction holds no lock yet
            write.Rollback();
        }
        using (holder.BeginTransaction(deferred: false))
        {
            var busy = Assert.Throws<SqliteException>(() => other.BeginTransaction(deferred: false));
            Assert.Equal(5, busy.SqliteErrorCode); // SQLITE_BUSY
        }
    }

    [Fact]
    public void Constructor_InMemoryDatabase_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => new SqliteSyncStore("Data Source=:memory:"));
        Assert.Throws<ArgumentException>(() => new SqliteSyncStore("Data Source=shared;Mode=Memory;Cache=Shared"));
    }

    [Fact]
    public async Task ForFile_OpensTheDatabaseAtThatPath()
    {
        var path = ((SqliteTestDatabase)Database).Path;
        using var store = SqliteSyncStore.ForFile(path);
        var (sync, run) = await NewBoundSyncAsync(Alice);
        await Store.InsertSyncAsync(sync, run);

        Assert.Equal(sync, (await store.GetSyncAsync(Alice, sync.Id))?.Sync);
    }

    private sealed class SqliteTestDatabase : ITestDatabase
    {
        private readonly string _directory;
        private readonly List<SqliteSyncStore> _stores = [];

        public SqliteTestDatabase()
        {
            _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "grpcsync-sqlite-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_directory);
            Path = System.IO.Path.Combine(_directory, "grpcsync.db");
        }

        public string Path { get; }

        public IReadOnlyList<int> KnownMigrationVersions => SqliteMigrations.All.Select(m => m.Version).ToArray();

        public ISyncStore OpenStore()
        {
            var store = new SqliteSyncStore($"Data Source={Path}");
            _stores.Add(store);
            return store;
        }

        public async Task<IReadOnlyList<int>> ReadAppliedMigrationVersionsAsync()
        {
            await using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT version FROM schema_migrations ORDER BY version";
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
            await using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE syncs SET credential_id = @credential_id WHERE id = @id";
            command.Parameters.AddWithValue("@id", syncId.ToString("D"));
            command.Parameters.AddWithValue("@credential_id", (object?)credentialId?.ToString("D") ?? DBNull.Value);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
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
