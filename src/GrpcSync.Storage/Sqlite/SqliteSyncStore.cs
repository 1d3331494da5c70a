using System.Collections.Concurrent;
using System.Data.Common;
using GrpcSync.Storage.Relational;
using Microsoft.Data.Sqlite;

namespace GrpcSync.Storage.Sqlite;

/// <summary>
/// <see cref="ISyncStore"/>, <see cref="IEngineStore"/> and <see cref="IRecordStore"/> on a SQLite database file (single node). One connection per
/// operation from the store's own pool (kept open with its prepared statements), set up with <c>foreign_keys=ON</c>, <c>synchronous</c> per <see cref="SqliteDurability"/> (NORMAL by default) and a busy timeout; the
/// file is put in WAL mode by <see cref="RelationalSyncStore.MigrateAsync"/>, so readers never wait
/// for the writer. Every write transaction is <c>BEGIN IMMEDIATE</c>: it takes the database's single
/// write lock before reading, so concurrent read-modify-writes queue (waiting up to the busy timeout)
/// instead of failing with SQLITE_BUSY or losing an update. Writers of one store instance also queue
/// in-process first (asynchronously, without blocking a thread); BEGIN IMMEDIATE still serialises
/// them with other instances and processes on the same file. The same holds for the engine's
/// <see cref="RelationalSyncStore.DispatchAsync"/>: dispatchers on one file only take turns, so run one
/// dispatcher per SQLite database.
/// </summary>
/// <remarks>
/// Schema conventions: see <see cref="SqliteMigrations"/>. In-memory databases are not supported (each
/// operation opens its own connection, which would see a different, empty database).
/// </remarks>
public sealed class SqliteSyncStore : RelationalSyncStore, IDisposable
{
    /// <summary>How long an operation waits for another connection's write lock by default.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a write waits for the store's earlier writes before giving up (TimeoutException).</summary>
    public static readonly TimeSpan WriteQueueTimeout = TimeSpan.FromSeconds(30);

    private readonly string _setupPragmas;
    private readonly SemaphoreSlim _writeTurn = new(1, 1);
    private readonly ConcurrentStack<StoreConnection> _idle = new();
    private readonly Func<StoreConnection, ValueTask> _giveBack;
    private readonly Func<StoreConnection, ValueTask> _giveBackWriter;
    private volatile bool _disposed;

    /// <summary>
    /// A store on the database that a Microsoft.Data.Sqlite connection string names, e.g.
    /// <c>Data Source=/var/lib/grpcsync/grpcsync.db</c> (the file is created if missing, as with
    /// the provider's default <c>Mode=ReadWriteCreate</c>). Pooling is always on.
    /// Use <see cref="ForFile"/> to pass a plain path.
    /// </summary>
    /// <param name="connectionString">A connection string (not a bare path).</param>
    /// <param name="busyTimeout">How long to wait for a lock held by another connection; default 5 s.</param>
    /// <param name="durability">
    /// <see cref="SqliteDurability.Normal"/> (default): a commit survives a crash of the process; the last commits
    /// before a power loss or OS crash can be lost. <see cref="SqliteDurability.Full"/>: every commit is on disk
    /// (fsync) before it returns, at several times the cost per commit.
    /// </param>
    public SqliteSyncStore(string connectionString, TimeSpan? busyTimeout = null, SqliteDurability durability = SqliteDurability.Normal)
    {
        if (!Enum.IsDefined(durability))
        {
            throw new ArgumentOutOfRangeException(nameof(durability), durability, "Not a SqliteDurability.");
        }
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(builder.DataSource)
            || builder.DataSource.Equals(":memory:", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("SqliteSyncStore needs a database file; in-memory databases are not supported.",
                nameof(connectionString));
        }
        var timeout = busyTimeout ?? DefaultBusyTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero, nameof(busyTimeout));
        ConnectionString = builder.ToString();
        _giveBack = GiveBackAsync;
        _giveBackWriter = GiveBackWriterAsync;
        Durability = durability;
        _setupPragmas =
            $"PRAGMA foreign_keys = ON; PRAGMA synchronous = {(durability == SqliteDurability.Full ? "FULL" : "NORMAL")}; " +
            $"PRAGMA busy_timeout = {(long)timeout.TotalMilliseconds};";
    }

    /// <summary>A store on the database file at <paramref name="path"/> (created if missing).</summary>
    public static SqliteSyncStore ForFile(string path, TimeSpan? busyTimeout = null, SqliteDurability durability = SqliteDurability.Normal)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new SqliteSyncStore(new SqliteConnectionStringBuilder { DataSource = path }.ToString(), busyTimeout, durability);
    }

    /// <summary>The default <see cref="WalAutocheckpointPages"/>: 100,000 pages (a WAL of up to about 400 MiB; SQLite's own default is 1,000).</summary>
    public const int DefaultWalAutocheckpointPages = 100_000;

    /// <summary>
    /// <c>PRAGMA wal_autocheckpoint</c> of every connection: the WAL length (in 4 KiB pages) at which a commit copies the
    /// WAL back into the database file. A longer WAL copies a page written by many commits once, at the cost of a
    /// longer checkpoint now and then (docs/ARCHITECTURE.md, "Store notes").
    /// </summary>
    public int WalAutocheckpointPages { get => _walAutocheckpointPages; init => _walAutocheckpointPages = AtLeastOne(value); }

    private readonly int _walAutocheckpointPages = DefaultWalAutocheckpointPages;

    private static int AtLeastOne(int value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, name);
        return value;
    }

    /// <summary>The default <see cref="PageSize"/> of a new database file, in bytes.</summary>
    public const int DefaultPageSize = 4096;

    /// <summary>
    /// <c>PRAGMA page_size</c> of a database file this store creates (a power of two from 512 to 65,536). A write of one
    /// row rewrites its whole page into the WAL (and later back into the file), so small rows changed at random cost
    /// about a page each. A file that already has tables keeps its page size (SQLite changes it only by VACUUM, and not
    /// in WAL mode).
    /// </summary>
    public int PageSize
    {
        get => _pageSize;
        init => _pageSize = value is >= 512 and <= 65_536 && (value & (value - 1)) == 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PageSize), value, "A SQLite page size is a power of two from 512 to 65536.");
    }

    private readonly int _pageSize = DefaultPageSize;

    /// <summary>The writer connection's page cache by default (KiB).</summary>
    public const int DefaultWriterCacheSizeKiB = 65_536;

    /// <summary>
    /// <c>PRAGMA cache_size</c> of the writer connection, in KiB. Every write of this store runs on one connection, so its
    /// page cache stays valid from one write to the next (in WAL mode a connection drops its whole cache when another
    /// connection has written since its last transaction); at 1,000,000 Syncs the dispatcher's and the finish writer's
    /// B-tree pages then come from memory instead of a read system call each. Readers keep SQLite's default (2 MiB).
    /// </summary>
    public int WriterCacheSizeKiB { get => _writerCacheSizeKiB; init => _writerCacheSizeKiB = AtLeastOne(value); }

    private readonly int _writerCacheSizeKiB = DefaultWriterCacheSizeKiB;

    /// <summary>The async flow's write turn, if it asked for one (<see cref="EnterWriteAsync"/>): held until released.</summary>
    private readonly AsyncLocal<TurnFlag?> _writeTurnOfFlow = new();

    private sealed class TurnFlag
    {
        public volatile bool Held;
    }

    private StoreConnection? _writer; // the writer connection while idle; null while lent or not yet opened

    /// <summary>The normalised connection string the store opens connections with.</summary>
    public string ConnectionString { get; }

    /// <summary>How durable a commit is (PRAGMA synchronous on every connection).</summary>
    public SqliteDurability Durability { get; }

    /// <summary>PRAGMA page_size of the database file (bytes). For tests.</summary>
    internal Task<long> ReadPageSizeAsync() => ReadPragmaAsync("page_size");

    /// <summary>PRAGMA synchronous as one of the store's connections sees it (0 OFF, 1 NORMAL, 2 FULL).</summary>
    internal Task<long> ReadSynchronousAsync() => ReadPragmaAsync("synchronous");

    /// <summary>The integer value of PRAGMA <paramref name="name"/> on one of the store's connections.</summary>
    private async Task<long> ReadPragmaAsync(string name)
    {
        await using var connection = await OpenConnectionAsync(CancellationToken.None);
        await using var command = connection.Connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// The connection an operation gets (under the write turn when <paramref name="write"/>) and its cache_size and
    /// wal_autocheckpoint, read on it; <paramref name="meanwhile"/> runs while the connection is lent. For tests.
    /// </summary>
    internal async Task<(object Connection, long CacheSize, long WalAutocheckpoint)> ProbeConnectionAsync(bool write,
        Func<Task>? meanwhile = null)
    {
        using var turn = write ? await EnterWriteAsync(CancellationToken.None) : null;
        await using var lease = await OpenConnectionAsync(CancellationToken.None);
        await using var command = lease.Connection.CreateCommand();
        command.CommandText = "PRAGMA cache_size";
        var cacheSize = (long)(await command.ExecuteScalarAsync())!;
        command.CommandText = "PRAGMA wal_autocheckpoint";
        var walAutocheckpoint = (long)(await command.ExecuteScalarAsync())!;
        if (meanwhile is not null)
        {
            await meanwhile();
        }
        return (lease.Connection, cacheSize, walAutocheckpoint);
    }

    /// <summary>
    /// A set-up connection from the store's own pool, or a new one. The pool keeps connections open with their
    /// PRAGMAs applied and their prepared statements (<see cref="StoreConnection"/>), so a hot path neither
    /// opens, sets up nor prepares anything; it keeps at most <see cref="MaxIdleConnections"/>.
    /// </summary>
    private protected override async ValueTask<StoreConnection> OpenConnectionAsync(CancellationToken ct)
    {
        // The flow holding the write turn gets the writer connection (one flow at a time holds it, so it is free unless
        // that flow opened a second connection meanwhile, which then comes from the pool).
        var forWrites = _writeTurnOfFlow.Value is { Held: true } && !_disposed;
        if (forWrites)
        {
            if (Interlocked.Exchange(ref _writer, null) is { } writer)
            {
                return writer;
            }
            if (_writerOpened)
            {
                forWrites = false; // lent to this flow already
            }
            else
            {
                _writerOpened = true;
            }
        }
        if (!forWrites && _idle.TryPop(out var pooled))
        {
            return pooled;
        }
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            await using var setup = connection.CreateCommand();
            setup.CommandText = _setupPragmas + $" PRAGMA wal_autocheckpoint = {_walAutocheckpointPages};" +
                (forWrites ? $" PRAGMA cache_size = -{_writerCacheSizeKiB};" : "");
            await setup.ExecuteNonQueryAsync(ct);
            return new StoreConnection(connection, forWrites ? _giveBackWriter : _giveBack) { Runner = new SqliteStatementRunner(connection) };
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Idle connections kept open (more only while more operations run at once).</summary>
    public const int MaxIdleConnections = 16;

    private bool _writerOpened; // changed only by the flow holding the write turn

    private async ValueTask GiveBackWriterAsync(StoreConnection connection)
    {
        if (_disposed)
        {
            await connection.CloseAsync();
            return;
        }
        Volatile.Write(ref _writer, connection);
        if (_disposed && Interlocked.Exchange(ref _writer, null) is { } late)
        {
            await late.CloseAsync(); // Dispose ran meanwhile
        }
    }

    private async ValueTask GiveBackAsync(StoreConnection connection)
    {
        // A connection that saw an error keeps no open transaction: the operation's transaction was disposed
        // (rolled back) before its lease. Anything else about it is as good as new.
        if (_disposed || _idle.Count >= MaxIdleConnections)
        {
            await connection.CloseAsync();
            return;
        }
        _idle.Push(connection);
        if (_disposed && _idle.TryPop(out var late))
        {
            await late.CloseAsync(); // Dispose ran meanwhile
        }
    }

    /// <remarks>
    /// Not an async method, so that the flag it puts in the caller's flow stays there (an async method's changes to an
    /// AsyncLocal are undone when it returns); the flag is an object, so the wait can raise it and the release lower it.
    /// </remarks>
    private protected override ValueTask<IDisposable?> TakeWriteTurnAsync(CancellationToken ct)
    {
        var flag = new TurnFlag();
        _writeTurnOfFlow.Value = flag;
        return WaitForWriteTurnAsync(flag, ct);
    }

    private async ValueTask<IDisposable?> WaitForWriteTurnAsync(TurnFlag flag, CancellationToken ct)
    {
        if (!await _writeTurn.WaitAsync(WriteQueueTimeout, ct))
        {
            throw new TimeoutException($"A SQLite write waited more than {WriteQueueTimeout} for the writes before it.");
        }
        flag.Held = true;
        return new Turn(_writeTurn, flag);
    }

    // Microsoft.Data.Sqlite issues "BEGIN IMMEDIATE" for a non-deferred transaction at the default
    // (serializable) isolation level and "BEGIN" for a deferred one; SqliteSyncStoreTests checks this.
    private protected override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    private protected override ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    private protected override string LockClause => ""; // BEGIN IMMEDIATE already holds the write lock.

    // One writer process (one dispatcher per database), every write under the write turn: RelationalSyncStore.ClaimedRows.
    private protected override bool KeepsClaimedRows => true;

    // WAL readers run beside the writer: the candidate query overlaps the finish batch (RelationalSyncStore.Dispatch).
    private protected override bool ReadsCandidatesBeforeTheTurn => true;

    // Concurrent single mutations share one transaction and commit (group commit) at both durabilities: with
    // FULL each commit waits for an fsync; with NORMAL each writes its dirty pages to the WAL, and a change's
    // event row adds pages that a group writes once (docs/ARCHITECTURE.md, "Measured figures").
    private protected override bool GroupsCommits => true;

    private protected override string ShareLockClause => ""; // BEGIN IMMEDIATE already serialises writers.

    private protected override string LockSkippingLocked(string alias) => ""; // one writer at a time: nothing to skip.

    private protected override string EachEndpointsFirstDueSql =>
        "(SELECT y.id, y.endpoint_id, y.next_attempt_at FROM webhook_endpoints w JOIN webhook_deliveries y ON y.id IN " +
        "(SELECT x.id FROM webhook_deliveries x WHERE x.endpoint_id = w.id " +
        $"AND x.state = {SqlLiterals.DeliveryPending} AND x.next_attempt_at <= @now ORDER BY x.next_attempt_at LIMIT @top))";

    private protected override object IdParameter(Guid id) => id.ToString("D"); // lower case

    private protected override Guid ReadId(DbDataReader reader, int ordinal) => Guid.ParseExact(reader.GetString(ordinal), "D");

    // json_each drives the lookups: one index search per id (the plan: SEARCH ... USING INDEX (id=?), LIST SUBQUERY).
    private protected override string IdIsOneOf(string column, string parameter) =>
        $"{column} IN (SELECT value FROM json_each({parameter}))";

    /// <summary>A JSON array of the ids as the store writes them (lower case, "D"); ids need no escaping.</summary>
    private protected override object IdSetParameter(IReadOnlyCollection<Guid> ids)
    {
        var json = new System.Text.StringBuilder(2 + ids.Count * 39);
        json.Append('[');
        foreach (var id in ids)
        {
            if (json.Length > 1)
            {
                json.Append(',');
            }
            json.Append('"').Append(id.ToString("D")).Append('"');
        }
        return json.Append(']').ToString();
    }

    private protected override (string Column, string Value)? SyncPlacement => ("rowid", SqliteSyncPlacement.NextRowIdSql);

    private protected override void AddSyncPlacementParameters(DbCommand command, Guid syncId) =>
        ((SqliteCommand)command).Parameters.AddWithValue("@row_base", SqliteSyncPlacement.RowBase(syncId));

    private protected override string SchemaMigrationsTableSql => SqliteMigrations.SchemaMigrationsTable;

    private protected override IReadOnlyList<Migration> Migrations => SqliteMigrations.All;

    private protected override async Task BeforeMigrationsAsync(StoreConnection connection, CancellationToken ct)
    {
        // Persistent in the file: every later connection uses WAL. The page size first: it applies only to a file
        // without tables yet and is fixed once the file is in WAL mode.
        // The migration that placed existing Sync rows by their schedule calls it (SqliteSyncPlacement).
        SqliteSyncPlacement.Register((SqliteConnection)connection.Connection);
        await using var command = connection.Connection.CreateCommand();
        command.CommandText = $"PRAGMA page_size = {_pageSize};";
        await command.ExecuteNonQueryAsync(ct);
        command.CommandText = "PRAGMA journal_mode = WAL;";
        var mode = (string?)await command.ExecuteScalarAsync(ct);
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Could not put the SQLite database in WAL mode (journal_mode is '{mode}').");
        }
    }

    private sealed class Turn(SemaphoreSlim semaphore, TurnFlag flag) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                flag.Held = false;
                semaphore.Release();
            }
        }
    }

    /// <summary>Closes this store's pooled connections (e.g. before deleting the file); later operations pool nothing.</summary>
    public void Dispose()
    {
        _disposed = true;
        if (Interlocked.Exchange(ref _writer, null) is { } writer)
        {
            writer.CloseAsync().AsTask().GetAwaiter().GetResult();
        }
        while (_idle.TryPop(out var idle))
        {
            idle.CloseAsync().AsTask().GetAwaiter().GetResult(); // synchronous underneath: SQLite has no async I/O
        }
        using var connection = new SqliteConnection(ConnectionString);
        SqliteConnection.ClearPool(connection);
    }
}
