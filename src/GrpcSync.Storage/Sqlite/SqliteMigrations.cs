using GrpcSync.Storage.Relational;

namespace GrpcSync.Storage.Sqlite;

/// <summary>
/// The SQLite schema, as ordered versioned migrations (the <c>.sql</c> files in Migrations/). Ids are TEXT
/// (lower-case "D" format GUIDs, so text order equals <see cref="Guid.CompareTo(Guid)"/> order and PostgreSQL's uuid order);
/// timestamps are INTEGER unix milliseconds (UTC); enums are stored by name ("Queued", "Active", ...);
/// booleans are INTEGER 0/1; bytes are BLOB.
/// </summary>
internal static class SqliteMigrations
{
    public const string SchemaMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER NOT NULL PRIMARY KEY,
            applied_at INTEGER NOT NULL
        ) STRICT;
        """;

    /// <summary>Sqlite/Migrations/NNNN_name.sql, in version order: add a file there for a new migration.</summary>
    public static IReadOnlyList<Migration> All { get; } = MigrationFiles.Load("Sqlite");
}
