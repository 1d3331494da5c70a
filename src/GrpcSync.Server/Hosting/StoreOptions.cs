using GrpcSync.Storage.Sqlite;

namespace GrpcSync.Server.Hosting;

public sealed class StoreOptions
{
    /// <summary><c>Sqlite</c> (embedded default) or <c>Postgres</c> (several replicas).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>
    /// Sqlite: optional connection string (default: a file grpcsync.db in DataDirectory).
    /// Postgres: the Npgsql connection string (required).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Sqlite only: <c>Normal</c> (default; a commit survives a process crash, a power loss can lose the last
    /// ones) or <c>Full</c> (every commit is synced to disk before the call returns; several times the cost per write).
    /// </summary>
    public string SqliteDurability { get; set; } = "Normal";

    /// <summary>Sqlite only: the WAL length in pages at which a commit checkpoints (<c>PRAGMA wal_autocheckpoint</c>).</summary>
    public int SqliteWalAutocheckpointPages { get; set; } = SqliteSyncStore.DefaultWalAutocheckpointPages;

    /// <summary>
    /// Sqlite only: the page size (bytes) of a database file the server creates; a file that already has tables keeps
    /// its own (<c>PRAGMA page_size</c>).
    /// </summary>
    public int SqlitePageSize { get; set; } = SqliteSyncStore.DefaultPageSize;

    /// <summary>Sqlite only: page cache (KiB) of the one connection every write runs on.</summary>
    public int SqliteWriterCacheSizeKiB { get; set; } = SqliteSyncStore.DefaultWriterCacheSizeKiB;

    /// <summary>
    /// True (default): every change logs its events (webhooks, event lists and streams read them). False only to
    /// measure what the log costs a write (bench/): nothing is logged, so nothing is delivered or streamed; the
    /// server warns at start.
    /// </summary>
    public bool EventLog { get; set; } = true;
}
