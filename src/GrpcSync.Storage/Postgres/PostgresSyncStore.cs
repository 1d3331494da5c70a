using System.Data;
using System.Data.Common;
using GrpcSync.Storage.Relational;
using static GrpcSync.Storage.Relational.StoreCommands;
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

    /// <summary>
    /// A store on the database an Npgsql connection string names; it owns (and disposes) its data source.
    /// Unless the string says otherwise, Npgsql's automatic preparation is on (see <see cref="WithStoreDefaults"/>).
    /// </summary>
    public PostgresSyncStore(string connectionString)
        : this(NpgsqlDataSource.Create(WithStoreDefaults(connectionString)), ownsDataSource: true)
    {
    }

    /// <summary>
    /// <paramref name="connectionString"/> with the store's defaults where it sets nothing itself:
    /// <c>Max Auto Prepare=64;Auto Prepare Min Usages=2</c>. The store runs a few dozen distinct statements over
    /// and over; prepared on the server, PostgreSQL parses and plans each once per connection. Set
    /// <c>Max Auto Prepare=0</c> behind a pooler that cannot keep prepared statements (PgBouncer before 1.21 in
    /// transaction mode).
    /// </summary>
    public static string WithStoreDefaults(string connectionString)
    {
        // Npgsql's builder answers ContainsKey for every keyword it knows; the generic one holds only what was given.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("MAXAUTOPREPARE"))
        {
            builder.MaxAutoPrepare = 64;
            if (!given.Contains("AUTOPREPAREMINUSAGES"))
            {
                builder.AutoPrepareMinUsages = 2;
            }
        }
        return builder.ConnectionString;
    }

    /// <summary>A store on an existing data source, which it disposes only if <paramref name="ownsDataSource"/>.</summary>
    public PostgresSyncStore(NpgsqlDataSource dataSource, bool ownsDataSource = false)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
    }

    private protected override async ValueTask<StoreConnection> OpenConnectionAsync(CancellationToken ct) =>
        new(await _dataSource.OpenConnectionAsync(ct)); // Npgsql pools and (auto-)prepares; the lease disposes it

    private protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);

    private protected override async ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

    private protected override string LockClause => " FOR UPDATE";

    private protected override string ShareLockClause => " FOR SHARE";

    private protected override string LockSkippingLocked(string alias) => $" FOR UPDATE OF {alias} SKIP LOCKED";

    private protected override string EachEndpointsFirstDueSql =>
        "(SELECT f.id, f.endpoint_id, f.next_attempt_at FROM webhook_endpoints w CROSS JOIN LATERAL " +
        "(SELECT x.id, x.endpoint_id, x.next_attempt_at FROM webhook_deliveries x WHERE x.endpoint_id = w.id " +
        $"AND x.state = {SqlLiterals.DeliveryPending} AND x.next_attempt_at <= @now ORDER BY x.next_attempt_at LIMIT @top) AS f)";

    private protected override object IdParameter(Guid id) => id;

    private protected override Guid ReadId(DbDataReader reader, int ordinal) => reader.GetGuid(ordinal);

    private protected override string IdIsOneOf(string column, string parameter) => $"{column} = ANY({parameter})";

    private protected override object IdSetParameter(IReadOnlyCollection<Guid> ids) => ids.ToArray(); // uuid[]

    private protected override string SchemaMigrationsTableSql => PostgresMigrations.SchemaMigrationsTable;

    private protected override IReadOnlyList<Migration> Migrations => PostgresMigrations.All;

    private protected override async Task LockMigrationsAsync(StoreConnection connection, DbTransaction transaction, CancellationToken ct) =>
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", ct, ("@key", PostgresMigrations.AdvisoryLockKey));

    /// <summary>The first key of the credentials' dispatch locks (two-key advisory locks, apart from the migration lock's).</summary>
    private const int CredentialDispatchLockClass = 0x47534344; // "GSCD"

    /// <summary>
    /// One transaction-scoped advisory lock per credential, taken in key order by one statement (a key is 32 bits of
    /// the id: two credentials that share one only take turns more often). Released at commit or rollback.
    /// </summary>
    private protected override async Task LockCredentialsForDispatchAsync(StoreConnection connection, DbTransaction transaction,
        IReadOnlyList<Guid> credentialIds, CancellationToken ct)
    {
        var keys = credentialIds.Select(id => BitConverter.ToInt32(id.ToByteArray(), 0) ^ BitConverter.ToInt32(id.ToByteArray(), 12))
            .Distinct().Order().ToArray();
        await ScalarAsync(connection, transaction,
            "SELECT COUNT(pg_advisory_xact_lock(@class, k)) FROM (SELECT k FROM unnest(@keys) AS k ORDER BY k) ordered", ct,
            ("@class", CredentialDispatchLockClass), ("@keys", keys));
    }

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
