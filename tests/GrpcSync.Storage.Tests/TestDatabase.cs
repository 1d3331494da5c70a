namespace GrpcSync.Storage.Tests;

/// <summary>An empty database made for one test, and the means to open stores on it.</summary>
public interface ITestDatabase : IAsyncDisposable
{
    /// <summary>A new store instance on this database (not migrated); the database disposes it.</summary>
    ISyncStore OpenStore();

    /// <summary>The versions recorded in schema_migrations, ascending.</summary>
    Task<IReadOnlyList<int>> ReadAppliedMigrationVersionsAsync();

    /// <summary>The versions of every migration the store knows.</summary>
    IReadOnlyList<int> KnownMigrationVersions { get; }
}
