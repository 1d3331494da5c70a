using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using GrpcSync.Domain;
using GrpcSync.Storage;
using GrpcSync.Storage.Postgres;
using GrpcSync.Storage.Relational;
using GrpcSync.Storage.Sqlite;
using GrpcSync.Testing.Processes;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace GrpcSync.SchedulerBench;

/// <summary>
/// Seeds the bench data set once per store into a template database, then copies it per phase and plans
/// the schedule with one UPDATE.
/// <para>
/// Seeding goes through the store's public API: one <see cref="ISyncStore.InsertCredentialAsync"/> per user
/// (10 Syncs per user) and one <see cref="ISyncStore.InsertSyncAsync"/> per Sync. Each Sync is built by the
/// domain rules as it would be after its INITIAL run: <see cref="SyncRules.Enable"/>, then
/// <see cref="RunRules.Dispatch"/> and <see cref="RunRules.Finish"/> (Succeeded) applied in memory, so the
/// stored Sync is IDLE with last_synced_at and last_full_sync_at set (no FULL run is due for 24 h) and its
/// INITIAL run row is SUCCEEDED. Integration/pipeline <c>noop</c>, frequency default (1m), configuration
/// <c>{"n": index}</c>, configuration name <c>c{index}</c>.
/// </para>
/// <para>
/// Phase schedule (bench-only SQL, the statements that bypass the store), by <see cref="Order"/>: by default
/// (<see cref="ScheduleOrder.Slots"/>) a schedule one interval wide puts every Sync on its own slot of the grid
/// (<see cref="ScheduleGrid"/>), where a server that has run for a while has them; otherwise, and for a wider span (the
/// catch-up's backlog), Sync i takes slot <c>(i % 10) * users + i / 10</c> and next_run_at is
/// <c>from + slot * span / (users * 10)</c> (uniform over [from, from + span), one user's 10 Syncs a tenth of the span
/// apart). last_run_started_at one interval earlier.
/// </para>
/// </summary>
internal abstract class BenchDatabase : IAsyncDisposable
{
    public const int SyncsPerUser = 10;
    public static readonly string ProjectId = "bench";

    public abstract string Store { get; }

    /// <summary>How <see cref="ScheduleAsync"/> plans the Syncs (see the class summary).</summary>
    public ScheduleOrder Order { get; set; } = ScheduleOrder.Slots;

    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>Creates the template database with the schema; returns a store on it.</summary>
    protected abstract Task<RelationalSyncStore> CreateTemplateStoreAsync();

    /// <summary>Closes every connection to the template (so it can be copied).</summary>
    protected abstract Task ReleaseTemplateAsync(RelationalSyncStore store);

    /// <summary>A fresh copy of the template; returns its connection string.</summary>
    public abstract Task<string> CopyAsync(string name);

    public abstract Task DropAsync(string name);

    protected abstract DbConnection Connect(string connectionString);

    /// <summary>Every Sync's id, in the order its rows lie in the table (so updating them one by one walks the table once).</summary>
    protected virtual string IdsInTableOrderSql => "SELECT id FROM syncs";

    /// <summary>Runs after the schedule update (PostgreSQL: VACUUM ANALYZE; SQLite: WAL checkpoint).</summary>
    protected abstract Task AfterScheduleAsync(DbConnection connection);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// Seeding 1,000,000 Syncs takes about 10 minutes, so a template can be kept between bench invocations
    /// (<c>--template-cache DIR</c>): only reuse one seeded by the same seeding code. A template made before a new
    /// migration is still valid: the server applies newer migrations when it starts on the copy. SQLite only.
    /// </summary>
    public virtual bool TryRestoreTemplate(string cacheDirectory, int syncs, string variant = "") => false;

    /// <summary>Keeps the seeded template in the cache (see <see cref="TryRestoreTemplate"/>).</summary>
    public virtual void SaveTemplate(string cacheDirectory, int syncs, string variant = "")
    {
    }

    /// <summary>The template's schema version (its latest applied migration).</summary>
    public async Task<long> SchemaVersionAsync()
    {
        var store = await CreateTemplateStoreAsync();
        await store.MigrateAsync();
        await ReleaseTemplateAsync(store);
        await using var connection = Connect(await TemplateConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MAX(version) FROM schema_migrations";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>The template's connection string.</summary>
    protected virtual Task<string> TemplateConnectionStringAsync() =>
        throw new NotSupportedException($"--prime is built for SQLite only, not for {Store}.");

    /// <summary>
    /// Sets every Sync's frequency on the template (null: the default, 1m). <c>--prime</c> runs each Sync once on a
    /// long frequency, so no Sync comes due again before every Sync has run: at 1,000,000 Syncs on 1m the ones already
    /// run would take nine slots in ten of every round, and the rest would drain at the backlog's share.
    /// </summary>
    public async Task SetFrequencyAsync(string? frequency)
    {
        await using var connection = Connect(await TemplateConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandTimeout = 600;
        command.CommandText = "UPDATE syncs SET frequency = @frequency";
        var value = command.CreateParameter();
        value.ParameterName = "@frequency";
        value.Value = (object?)frequency ?? DBNull.Value;
        command.Parameters.Add(value);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Makes the copy <paramref name="name"/> (see <see cref="CopyAsync"/>) the template (<c>--prime</c>).</summary>
    public virtual Task PromoteAsync(string name) =>
        throw new NotSupportedException($"--prime is built for SQLite only, not for {Store}.");

    /// <summary>
    /// Brings a restored template to the current schema (migrations since it was seeded), once, so no phase's server
    /// spends its warm-up migrating.
    /// </summary>
    public async Task MigrateTemplateAsync()
    {
        var store = await CreateTemplateStoreAsync();
        await store.MigrateAsync();
        await ReleaseTemplateAsync(store);
    }

    public async Task<TimeSpan> SeedAsync(int syncs, int parallelism, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var store = await CreateTemplateStoreAsync();
        await store.MigrateAsync();
        var now = DateTimeOffset.UtcNow;
        var policy = new RunPolicy();
        var users = (syncs + SyncsPerUser - 1) / SyncsPerUser;
        var credentials = new Guid[users];
        await Parallel.ForEachAsync(Enumerable.Range(0, users), new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            async (u, ct) =>
            {
                var id = Guid.CreateVersion7(now);
                credentials[u] = id;
                await store.InsertCredentialAsync(new Credential
                {
                    Id = id,
                    ProjectId = ProjectId,
                    UserId = User(u),
                    Integration = NoopConnector.Name,
                    DisplayName = $"bench user {u}",
                    ProtectedSecret = "noop-secret",
                    CreatedAt = now,
                }, ct);
            });
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, syncs), new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            async (n, ct) =>
            {
                var (sync, run) = Completed(n, credentials[n / SyncsPerUser], now, policy);
                var (_, created) = await store.InsertSyncAsync(sync, run, ct);
                if (!created)
                {
                    throw new InvalidOperationException($"Sync {n} existed already");
                }
                if (Interlocked.Increment(ref done) % 20_000 == 0)
                {
                    log($"  seeded {done:N0} Syncs ({clock.Elapsed.TotalSeconds:0} s)");
                }
            });
        await ReleaseTemplateAsync(store);
        return clock.Elapsed;
    }

    /// <summary>Sync <paramref name="n"/> as it is after its INITIAL run succeeded (built by the domain rules).</summary>
    public static (Sync Sync, SyncRun Run) Completed(int n, Guid credentialId, DateTimeOffset now, RunPolicy policy)
    {
        var scope = new Scope(ProjectId, User(n / SyncsPerUser));
        var (sync, initial) = SyncRules.Enable(scope, NoopConnector.Name, NoopConnector.Name, $"c{n}",
            $"{{\"n\":{n.ToString(CultureInfo.InvariantCulture)}}}", credentialId, frequency: null, now);
        var dispatch = RunRules.Dispatch(new SyncSnapshot(sync, [initial]), now, "seed", policy);
        var running = dispatch.Result ?? throw new InvalidOperationException("the initial run did not start");
        var finishedAt = now.AddMilliseconds(5);
        var finish = RunRules.Finish(new SyncSnapshot(dispatch.NewSync!, [running]), running.Id, running.Attempt,
            new RunOutcome.Succeeded(null), finishedAt, policy);
        return (finish.NewSync!, finish.Result.Run!);
    }

    private static string User(int u) => "u" + u.ToString(CultureInfo.InvariantCulture);

    /// <summary>next_run_at of Sync i := from + slot(i) * span / slots (see the class summary); last_run_started_at one minute earlier.</summary>
    public async Task<TimeSpan> ScheduleAsync(string connectionString, long fromMs, long spanMs, int count)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = Connect(connectionString);
        await connection.OpenAsync();
        if (Order == ScheduleOrder.Slots && spanMs == (long)Interval.TotalMilliseconds)
        {
            await ScheduleOnSlotsAsync(connection, fromMs, count);
        }
        else
        {
            await ScheduleInOrderAsync(connection, fromMs, spanMs, count);
        }
        await AfterScheduleAsync(connection);
        return clock.Elapsed;
    }

    /// <summary>Every Sync on its first slot of the grid at or after <paramref name="fromMs"/> (one UPDATE per Sync, one transaction).</summary>
    private async Task ScheduleOnSlotsAsync(DbConnection connection, long fromMs, int count)
    {
        var ids = new List<object>(count);
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = IdsInTableOrderSql;
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids.Add(reader.GetValue(0)); // TEXT (SQLite) or uuid (PostgreSQL): bound back as read
            }
        }
        if (ids.Count != count)
        {
            throw new InvalidOperationException($"the schedule found {ids.Count} Syncs, expected {count}");
        }
        var from = DateTimeOffset.FromUnixTimeMilliseconds(fromMs);
        await using var tx = await connection.BeginTransactionAsync();
        await using var update = connection.CreateCommand();
        update.Transaction = tx;
        update.CommandTimeout = 600;
        update.CommandText = "UPDATE syncs SET next_run_at = @next, last_run_started_at = @next - 60000 WHERE id = @id";
        var next = update.CreateParameter();
        next.ParameterName = "@next";
        next.Value = 0L;
        update.Parameters.Add(next);
        var id = update.CreateParameter();
        id.ParameterName = "@id";
        id.Value = ids[0];
        update.Parameters.Add(id);
        await update.PrepareAsync();
        foreach (var value in ids)
        {
            var syncId = value as Guid? ?? Guid.ParseExact((string)value, "D");
            next.Value = ScheduleGrid.FirstSlotAtOrAfter(syncId, Interval, from).ToUnixTimeMilliseconds();
            id.Value = value;
            if (await update.ExecuteNonQueryAsync() != 1)
            {
                throw new InvalidOperationException($"the schedule did not find Sync {syncId} again");
            }
        }
        await tx.CommitAsync();
    }

    /// <summary>Sync i at slot(i) of <paramref name="spanMs"/> (see the class summary), in one statement.</summary>
    private async Task ScheduleInOrderAsync(DbConnection connection, long fromMs, long spanMs, int count)
    {
        await using (var command = connection.CreateCommand())
        {
            command.CommandTimeout = 600;
            // Slot of Sync n: (n % 10) * users + n / 10, so the 10 Syncs of one user (one credential) are spread over the
            // span, a tenth of it apart, as the engine's own slots (ScheduleGrid, from each Sync's id) spread them. Due
            // one after another, they would wait for their credential's run budget (MaxRunsPerCredential, 2).
            var slot = Order == ScheduleOrder.Stored
                ? "CAST(substr(configuration_name, 2) AS BIGINT)"
                : $"((CAST(substr(configuration_name, 2) AS BIGINT) % {SyncsPerUser}) * @users + CAST(substr(configuration_name, 2) AS BIGINT) / {SyncsPerUser})";
            command.CommandText =
                $"UPDATE syncs SET next_run_at = @from + ({slot} * @span) / @slots, " +
                $"last_run_started_at = @from + ({slot} * @span) / @slots - 60000";
            Add(command, "@from", fromMs);
            Add(command, "@span", spanMs);
            var users = (count + SyncsPerUser - 1) / SyncsPerUser;
            Add(command, "@users", (long)users);
            Add(command, "@slots", (long)users * SyncsPerUser);
            var updated = await command.ExecuteNonQueryAsync();
            if (updated != count)
            {
                throw new InvalidOperationException($"schedule update touched {updated} Syncs, expected {count}");
            }
        }
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}

internal sealed class SqliteBenchDatabase(string directory) : BenchDatabase
{
    private string TemplatePath => Path.Combine(directory, "template.db");

    public override string Store => "sqlite";

    protected override Task<RelationalSyncStore> CreateTemplateStoreAsync() =>
        Task.FromResult<RelationalSyncStore>(SqliteSyncStore.ForFile(TemplatePath));

    protected override async Task ReleaseTemplateAsync(RelationalSyncStore store)
    {
        await using (var connection = new SqliteConnection(((SqliteSyncStore)store).ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await command.ExecuteNonQueryAsync();
        }
        ((SqliteSyncStore)store).Dispose();
        SqliteConnection.ClearAllPools();
    }

    private static string CachedTemplate(string cacheDirectory, int syncs, string variant) =>
        Path.Combine(cacheDirectory, $"sqlite-{syncs.ToString(CultureInfo.InvariantCulture)}{variant}.db");

    public override bool TryRestoreTemplate(string cacheDirectory, int syncs, string variant = "")
    {
        var cached = CachedTemplate(cacheDirectory, syncs, variant);
        if (!File.Exists(cached))
        {
            return false;
        }
        File.Copy(cached, TemplatePath, overwrite: true);
        return true;
    }

    public override void SaveTemplate(string cacheDirectory, int syncs, string variant = "")
    {
        Directory.CreateDirectory(cacheDirectory);
        File.Copy(TemplatePath, CachedTemplate(cacheDirectory, syncs, variant), overwrite: true);
    }

    protected override Task<string> TemplateConnectionStringAsync() =>
        Task.FromResult(new SqliteConnectionStringBuilder { DataSource = TemplatePath }.ToString());

    public override async Task PromoteAsync(string name)
    {
        var path = Path.Combine(directory, name + ".db");
        // The server has exited; fold its WAL into the file so the file alone is the database.
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path }.ToString()))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await command.ExecuteNonQueryAsync();
        }
        SqliteConnection.ClearAllPools();
        File.Move(path, TemplatePath, overwrite: true);
        foreach (var suffix in new[] { "-wal", "-shm" })
        {
            File.Delete(path + suffix);
            File.Delete(TemplatePath + suffix);
        }
    }

    public override Task<string> CopyAsync(string name)
    {
        var path = Path.Combine(directory, name + ".db");
        File.Copy(TemplatePath, path, overwrite: true);
        return Task.FromResult(new SqliteConnectionStringBuilder { DataSource = path }.ToString());
    }

    public override Task DropAsync(string name)
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in (string[])[".db", ".db-wal", ".db-shm"])
        {
            File.Delete(Path.Combine(directory, name + suffix));
        }
        return Task.CompletedTask;
    }

    protected override DbConnection Connect(string connectionString) => new SqliteConnection(connectionString);

    protected override string IdsInTableOrderSql => "SELECT id FROM syncs ORDER BY rowid";

    protected override async Task AfterScheduleAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        await command.ExecuteNonQueryAsync();
        var path = new SqliteConnectionStringBuilder(connection.ConnectionString).DataSource;
        await connection.CloseAsync();
        SqliteConnection.ClearAllPools();
        // The restore of the template, its copy and the schedule just dirtied both files whole in the page cache; written
        // back during the phase, those pages compete with the server's own writes (at 1,000,000 Syncs, 2 GB: runs of one
        // binary varied by 40 %). Flushed here, before t0, the phase measures the server alone.
        foreach (var dirty in (string[])[TemplatePath, path])
        {
            await using var file = new FileStream(dirty, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            file.Flush(flushToDisk: true);
        }
    }
}

internal sealed class PostgresBenchDatabase(ThrowawayPostgres server, string connectionOptions = "") : BenchDatabase
{
    private const string Template = "grpcsync_template";

    public override string Store => "postgres";

    public ThrowawayPostgres Server => server;

    protected override async Task<RelationalSyncStore> CreateTemplateStoreAsync()
    {
        await ExecuteAdminAsync($"CREATE DATABASE {Template}");
        return new PostgresSyncStore(server.ConnectionString(Template));
    }

    protected override async Task ReleaseTemplateAsync(RelationalSyncStore store)
    {
        await ((PostgresSyncStore)store).DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(server.ConnectionString(Template));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("VACUUM ANALYZE", connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync();
        await connection.CloseAsync();
        NpgsqlConnection.ClearAllPools();
    }

    public override async Task<string> CopyAsync(string name)
    {
        await ExecuteAdminAsync($"CREATE DATABASE {name} TEMPLATE {Template}");
        // Extra Npgsql settings for the server's store only (e.g. "Max Auto Prepare=64"): configuration, not code.
        return connectionOptions.Length == 0 ? server.ConnectionString(name) : server.ConnectionString(name) + ";" + connectionOptions;
    }

    public override async Task DropAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    protected override DbConnection Connect(string connectionString) => new NpgsqlConnection(connectionString);

    protected override async Task AfterScheduleAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandTimeout = 600;
        command.CommandText = "VACUUM ANALYZE syncs";
        await command.ExecuteNonQueryAsync();
        await connection.CloseAsync();
        NpgsqlConnection.ClearAllPools();
    }

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await server.DisposeAsync();
    }

    private async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync();
    }
}
