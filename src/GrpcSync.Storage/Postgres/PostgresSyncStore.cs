using System.Data;
using System.Data.Common;
using GrpcSync.Storage.Relational;
using Npgsql;

namespace GrpcSync.Storage.Postgres;

/// <summary>
/// <see cref="ISyncStore"/>, <see cref="IEngineStore"/> and <see cref="IRecordStore"/> on PostgreSQL, for several replicas sharing one database. Writes run in
/// READ COMMITTED transactions and lock the Sync rows they read (<c>SELECT ... FOR UPDATE</c>), so
/// concurrent mutations of one Sync queue on its row; reads of a Sync with its runs use one
/// REPEATABLE READ snapshot, as do record pages. <see cref="RelationalSyncStore.MigrateAsync"/> holds a
/// transaction-level advisory lock, so replicas starting together apply each migration once. Dispatchers
/// of several replicas lock the Syncs they start <c>FOR UPDATE SKIP LOCKED</c>, so they share the work.
/// </summary>
/// <remarks>Schema conventions: see <see cref="PostgresMigrations"/>.</remarks>
public sealed class PostgresSyncStore : RelationalSyncStore, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;

    /// <summary>A store on the database an Npgsql connection string names; it owns (and disposes) its data source.</summary>
    public PostgresSyncStore(string connectionString)
        : this(NpgsqlDataSource.Create(connectionString), ownsDataSource: true)
    {
    }

    /// <summary>A store on an existing data source, which it disposes only if <paramref name="ownsDataSource"/>.</summary>
    public PostgresSyncStore(NpgsqlDataSource dataSource, bool ownsDataSource = false)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
    }

    private protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct) =>
        await _dataSource.OpenConnectionAsync(ct);

    private protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);

    private protected override async ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

    private protected override string LockClause => " FOR UPDATE";

    private protected override string ShareLockClause => " FOR SHARE";

    private protected override string LockSkippingLocked(string alias) => $" FOR UPDATE OF {alias} SKIP LOCKED";

    private protected override object IdParameter(Guid id) => id;

    private protected override Guid ReadId(DbDataReader reader, int ordinal) => reader.GetGuid(ordinal);

    private protected override string SchemaMigrationsTableSql => PostgresMigrations.SchemaMigrationsTable;

    private protected override IReadOnlyList<Migration> Migrations => PostgresMigrations.All;

    private protected override async Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct) =>
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", ct, ("@key", PostgresMigrations.AdvisoryLockKey));

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync();
        }
    }

    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }
}
