using GrpcSync.Storage.Relational;

namespace GrpcSync.Storage.Tests;

/// <summary>
/// An empty database made for one engine test, the means to open stores on it, and raw SQL access
/// for what the stores do not expose (older schema versions, internal columns).
/// </summary>
public interface IEngineTestDatabase : IAsyncDisposable
{
    /// <summary>A new store instance on this database (not migrated); the database disposes it.</summary>
    RelationalSyncStore OpenStore();

    /// <summary>The versions of every migration the store knows.</summary>
    IReadOnlyList<int> KnownMigrationVersions { get; }

    /// <summary>Creates the schema as migrations up to <paramref name="version"/> left it (recorded in schema_migrations), with no store.</summary>
    Task CreateSchemaAsync(int version);

    /// <summary>Runs SQL directly (several statements allowed). Ids are written as 'D'-format text literals.</summary>
    Task ExecuteAsync(string sql);

    /// <summary>The first column of every row of a query, as int64.</summary>
    Task<IReadOnlyList<long>> QueryLongsAsync(string sql);
}
