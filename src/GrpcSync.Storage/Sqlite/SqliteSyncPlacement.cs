using GrpcSync.Domain;
using Microsoft.Data.Sqlite;

namespace GrpcSync.Storage.Sqlite;

/// <summary>
/// Where a Sync's row lies in the file: its rowid is the offset of its slots into the minute
/// (<see cref="ScheduleGrid.MinuteOffsetMs"/>) in the high bits and a sequence within that offset below, so the Syncs
/// due together are neighbours in the table and a dispatch round rewrites a few pages instead of one random page per
/// run (measured: docs/ARCHITECTURE.md, "Store notes"). The offset does not depend on the frequency, so a row never moves.
/// </summary>
internal static class SqliteSyncPlacement
{
    /// <summary>Bits of the sequence within one millisecond of offset: room for 2⁴⁰ Syncs there.</summary>
    private const int SequenceBits = 40;

    /// <summary>The SQL function the migration that placed existing rows calls (registered on the migrating connection).</summary>
    public const string RowBaseFunction = "sync_row_base";

    /// <summary>
    /// The first rowid of the Sync's offset. Offset + 1: rowids before placement (1, 2, …, below 2⁴⁰) stay clear of every
    /// placed one, so the migration can move rows one by one without a collision.
    /// </summary>
    public static long RowBase(Guid syncId) => (ScheduleGrid.MinuteOffsetMs(syncId) + 1) << SequenceBits;

    /// <summary>The rowid of a new row from its base (@row_base): after the last one of that offset (a short index seek).</summary>
    public static readonly string NextRowIdSql =
        $"(SELECT COALESCE(MAX(rowid) + 1, @row_base) FROM syncs WHERE rowid >= @row_base AND rowid < @row_base + {1L << SequenceBits})";

    /// <summary>Makes <see cref="RowBaseFunction"/> (id TEXT → base) callable on the connection.</summary>
    public static void Register(SqliteConnection connection) =>
        connection.CreateFunction(RowBaseFunction, (string id) => RowBase(Guid.ParseExact(id, "D")), isDeterministic: true);
}
