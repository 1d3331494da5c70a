using GrpcSync.Domain;
using GrpcSync.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace GrpcSync.Storage.Tests.Sqlite;

/// <summary>
/// Sync rows lie in the file by their schedule (SqliteSyncPlacement): rowid = (the slot's offset into the minute + 1) × 2⁴⁰
/// + a sequence, both for new rows and, through migration 16, for rows stored before it. Real database files.
/// </summary>
public sealed class SqliteSyncPlacementTests : IDisposable
{
    private static readonly Scope Scope = new("placement-project", "placement-user");
    private readonly string _file = Path.Combine(Path.GetTempPath(), "grpcsync-placement-" + Guid.NewGuid().ToString("N") + ".db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_file + suffix);
        }
    }

    [Fact]
    public async Task NewSyncs_LieInTheOrderOfTheirSlotsOffsetIntoTheMinute()
    {
        using var store = SqliteSyncStore.ForFile(_file);
        await store.MigrateAsync();
        var random = new Random(16);
        var ids = Enumerable.Range(0, 300).Select(_ => RandomId(random)).ToList();
        foreach (var id in ids)
        {
            await InsertAsync(store, id);
        }

        var rows = await ReadRowsAsync();
        Assert.Equal(ids.Order(), rows.Select(r => r.Id).Order());
        Assert.Equal(rows.Count, rows.Select(r => r.RowId).Distinct().Count());
        Assert.All(rows, r => Assert.Equal(ScheduleGrid.MinuteOffsetMs(r.Id) + 1, r.RowId >> 40));
        var offsets = rows.Select(r => ScheduleGrid.MinuteOffsetMs(r.Id)).ToList();
        Assert.Equal(offsets.Order(), offsets); // read in rowid order: the order of the slots
    }

    [Fact]
    public async Task SyncsOfOneOffset_FollowOneAnother()
    {
        using var store = SqliteSyncStore.ForFile(_file);
        await store.MigrateAsync();
        // Bytes 12–15 equal (0x40000000: 15,000 ms into the minute), the rest different.
        Guid[] ids = [new("00000003-0000-0000-0000-000000000040"), new("00000001-0000-0000-0000-000000000040"),
            new("00000002-0000-0000-0000-000000000040")];
        foreach (var id in ids)
        {
            await InsertAsync(store, id);
        }

        var first = (15_000L + 1) << 40;
        Assert.Equal(ids.Select((id, i) => (id, first + i)), (await ReadRowsAsync()).Select(r => (r.Id, r.RowId)));
    }

    [Fact]
    public async Task TheMigration_PlacesRowsStoredBeforeIt_AndKeepsTheirDataRunsAndIndexes()
    {
        var random = new Random(61);
        var syncs = new List<Sync>();
        using (var store = SqliteSyncStore.ForFile(_file))
        {
            await store.MigrateAsync();
            for (var i = 0; i < 200; i++)
            {
                syncs.Add(await InsertAsync(store, RandomId(random)));
            }
        }
        // As a file written before migration 16 has them: rowids 1, 2, … in insert order; and 16 not applied.
        await ScalarAsync("UPDATE syncs SET rowid = (SELECT COUNT(*) FROM syncs s WHERE s.created_at < syncs.created_at " +
                           "OR (s.created_at = syncs.created_at AND s.id <= syncs.id)); DELETE FROM schema_migrations WHERE version = 16;");
        SqliteConnection.ClearAllPools();
        Assert.All(await ReadRowsAsync(), r => Assert.InRange(r.RowId, 1, syncs.Count));

        using (var store = SqliteSyncStore.ForFile(_file))
        {
            await store.MigrateAsync();
            foreach (var sync in syncs)
            {
                Assert.Equal(sync, (await store.GetSyncAsync(Scope, sync.Id))?.Sync);
                var runs = await store.ListRunsAsync(Scope, sync.Id, 10, null);
                Assert.Equal(RunType.Initial, Assert.Single(runs!.Runs).Type);
            }
        }
        var rows = await ReadRowsAsync();
        Assert.All(rows, r => Assert.Equal(ScheduleGrid.MinuteOffsetMs(r.Id) + 1, r.RowId >> 40));
        Assert.Equal(rows.Select(r => ScheduleGrid.MinuteOffsetMs(r.Id)).Order(), rows.Select(r => ScheduleGrid.MinuteOffsetMs(r.Id)));
        Assert.Equal("ok", await ScalarAsync("PRAGMA integrity_check"));
        Assert.Null(await ScalarAsync("PRAGMA foreign_key_check"));
    }

    private static async Task<Sync> InsertAsync(SqliteSyncStore store, Guid id)
    {
        var (sync, run) = SyncRules.Enable(Scope, "hubspot", "contacts", "c-" + id.ToString("N"), "{}", Guid.Empty, null,
            DateTimeOffset.UnixEpoch.AddDays(20_000));
        sync = sync with { Id = id, CredentialId = null };
        var (stored, created) = await store.InsertSyncAsync(sync, run with { SyncId = id });
        Assert.True(created);
        return stored;
    }

    private async Task<List<(long RowId, Guid Id)>> ReadRowsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={_file};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT rowid, id FROM syncs ORDER BY rowid";
        var rows = new List<(long, Guid)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt64(0), Guid.Parse(reader.GetString(1))));
        }
        return rows;
    }

    /// <summary>Runs <paramref name="sql"/> on a connection of its own; returns the first column of its first row, if any.</summary>
    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_file};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private static Guid RandomId(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }
}
