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

    /// <summary>A fresh database file; its stores use <paramref name="durability"/>.</summary>
    internal sealed class SqliteTestDatabase(SqliteDurability durability = SqliteDurability.Normal) : ITestDatabase
    {
        private readonly string _directory = NewDirectory();
        private readonly List<SqliteSyncStore> _stores = [];

        private static string NewDirectory() =>
            Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "grpcsync-sqlite-" + Guid.NewGuid().ToString("N"))).FullName;

        public string Path => System.IO.Path.Combine(_directory, "grpcsync.db");

        public IReadOnlyList<int> KnownMigrationVersions => SqliteMigrations.All.Select(m => m.Version).ToArray();

        public ISyncStore OpenStore()
        {
            var store = new SqliteSyncStore($"Data Source={Path}", durability: durability);
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

        public async Task<long> CountRowsAsync(string table)
        {
            await using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM {table}";
            return (long)(await command.ExecuteScalarAsync())!;
        }

        public async Task ExecuteUncheckedAsync(string sql)
        {
            await using var connection = new SqliteConnection($"Data Source={Path};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
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

/// <summary>
/// The whole contract again with <see cref="SqliteDurability.Full"/> (synchronous=FULL). At both durabilities single
/// mutations go through the group commit (one transaction, a savepoint per mutation), which must keep every rule of the contract.
/// </summary>
public sealed class SqliteFullDurabilitySyncStoreTests : SyncStoreContract
{
    protected override Task<ITestDatabase> CreateEmptyDatabaseAsync() =>
        Task.FromResult<ITestDatabase>(new SqliteSyncStoreTests.SqliteTestDatabase(SqliteDurability.Full));

    [Fact]
    public async Task ConcurrentMutations_OneThrows_TheOthersCommit_AndItAloneGetsTheError()
    {
        var syncs = new List<Domain.Sync>();
        for (var i = 0; i < 24; i++)
        {
            var (sync, run) = await NewBoundSyncAsync(Alice, $"s{i}");
            syncs.Add((await Store.InsertSyncAsync(sync, run)).Sync);
        }
        var failing = syncs[7].Id;

        var outcomes = await Task.WhenAll(syncs.Select(s => Task.Run(async () =>
        {
            try
            {
                await Store.MutateSyncAsync(Alice, s.Id, snapshot => s.Id == failing
                    ? throw new InvalidOperationException("refused")
                    : new Domain.SyncChange<bool>(snapshot.Sync with { Frequency = "30m", Version = snapshot.Sync.Version + 1 }, [], [], true));
                return null;
            }
            catch (InvalidOperationException error)
            {
                return error.Message;
            }
        })));

        Assert.Equal("refused", Assert.Single(outcomes, o => o is not null));
        foreach (var sync in syncs)
        {
            var stored = (await Store.GetSyncAsync(Alice, sync.Id))!.Sync;
            Assert.Equal(sync.Id == failing ? (sync.Frequency, sync.Version) : ("30m", sync.Version + 1), (stored.Frequency, stored.Version));
        }
    }
}

/// <summary>The durability setting reaches every connection the SQLite store uses.</summary>
public sealed class SqliteDurabilityTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "grpcsync-durability-" + Guid.NewGuid().ToString("N") + ".db");

    public void Dispose()
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_file + suffix);
        }
    }

    [Theory]
    [InlineData(SqliteDurability.Normal, 1L)]
    [InlineData(SqliteDurability.Full, 2L)]
    public async Task EveryConnection_UsesTheChosenSynchronousLevel(SqliteDurability durability, long synchronous)
    {
        using var store = SqliteSyncStore.ForFile(_file, durability: durability);
        await store.MigrateAsync();

        Assert.Equal(durability, store.Durability);
        Assert.Equal(synchronous, await store.ReadSynchronousAsync());
        Assert.Equal(synchronous, await store.ReadSynchronousAsync()); // a pooled connection keeps it
    }

    [Fact]
    public async Task Writes_UseOneWriterConnection_WithItsLargeCache_AndReadsUseThePool()
    {
        using var store = new SqliteSyncStore(new SqliteConnectionStringBuilder { DataSource = _file }.ToString())
        {
            WriterCacheSizeKiB = 12_345,
            WalAutocheckpointPages = 4_321,
        };
        await store.MigrateAsync();

        var first = await store.ProbeConnectionAsync(write: true);
        var second = await store.ProbeConnectionAsync(write: true);
        Assert.Same(first.Connection, second.Connection); // its page cache survives from one write to the next
        Assert.Equal((-12_345L, 4_321L), (first.CacheSize, first.WalAutocheckpoint));

        // A read while the writer is lent (from the writing flow itself, or any other) gets a pooled connection.
        (object Connection, long CacheSize, long WalAutocheckpoint) duringWrite = default;
        var writing = await store.ProbeConnectionAsync(write: true,
            meanwhile: async () => duringWrite = await Task.Run(() => store.ProbeConnectionAsync(write: false)));
        var read = await store.ProbeConnectionAsync(write: false);
        Assert.Same(first.Connection, writing.Connection);
        Assert.NotSame(first.Connection, duringWrite.Connection);
        Assert.NotSame(first.Connection, read.Connection);
        Assert.Equal((-2_000L, 4_321L), (read.CacheSize, read.WalAutocheckpoint)); // readers keep SQLite's default cache
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(2048)]
    [InlineData(8192)]
    public async Task ANewFile_GetsThePageSize_AndAFileWithTablesKeepsItsOwn(int pageSize)
    {
        var scope = new Domain.Scope("page-size-project", "page-size-user");
        var (sync, run) = Domain.SyncRules.Enable(scope, "hubspot", "contacts", "default", "{}", Guid.Empty, null, DateTimeOffset.UnixEpoch);
        sync = sync with { CredentialId = null };
        using (var created = new SqliteSyncStore(new SqliteConnectionStringBuilder { DataSource = _file }.ToString()) { PageSize = pageSize })
        {
            await created.MigrateAsync();
            Assert.Equal(pageSize, await created.ReadPageSizeAsync());
            await created.InsertSyncAsync(sync, run);
        }

        // Opened again at the default page size: the file keeps its own, and its data.
        using var reopened = SqliteSyncStore.ForFile(_file);
        await reopened.MigrateAsync();
        Assert.Equal(pageSize, await reopened.ReadPageSizeAsync());
        Assert.Equal(sync.Id, (await reopened.GetSyncAsync(scope, sync.Id))?.Sync.Id);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    [InlineData(3000)]
    [InlineData(131_072)]
    public void APageSizeThatIsNoSqlitePageSize_IsRefused(int pageSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqliteSyncStore($"Data Source={_file}") { PageSize = pageSize });

    [Fact]
    public async Task TheDefault_IsNormal()
    {
        using var store = SqliteSyncStore.ForFile(_file);
        await store.MigrateAsync();

        Assert.Equal(SqliteDurability.Normal, store.Durability);
        Assert.Equal(1L, await store.ReadSynchronousAsync());
    }
}
