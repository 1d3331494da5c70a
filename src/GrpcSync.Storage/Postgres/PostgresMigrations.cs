using GrpcSync.Storage.Relational;

namespace GrpcSync.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema, as ordered versioned migrations (the <c>.sql</c> files in Migrations/). Ids are
/// <c>uuid</c>; timestamps are <c>bigint</c> unix milliseconds (UTC); enums are stored by name ("Queued", "Active", ...); bytes are <c>bytea</c>.
/// Same tables, columns and indexes as <see cref="Sqlite.SqliteMigrations"/>.
/// </summary>
internal static class PostgresMigrations
{
    /// <summary>Key of the transaction-level advisory lock that serialises migrations across replicas.</summary>
    public const long AdvisoryLockKey = 0x4752_5043_5359_4E43; // "GRPCSYNC"

    public const string SchemaMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer NOT NULL PRIMARY KEY,
            applied_at bigint  NOT NULL
        );
        """;

    /// <summary>Postgres/Migrations/NNNN_name.sql, in version order: add a file there for a new migration.</summary>
    public static IReadOnlyList<Migration> All { get; } = MigrationFiles.Load("Postgres");
}
