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

    /// <summary>
    /// Sets syncs.credential_id of one Sync directly in the database, past the store's rules (version and
    /// updated_at unchanged). Stands for rows the store no longer writes but a database may still hold,
    /// e.g. a Sync bound to another scope's credential before bindings were checked.
    /// </summary>
    Task SetCredentialIdUncheckedAsync(Guid syncId, Guid? credentialId);

    /// <summary>How many rows <paramref name="table"/> holds, read past the store (for rows no store call lists).</summary>
    Task<long> CountRowsAsync(string table);

    /// <summary>Runs one statement past the store (rows of tables whose writer is not under test, e.g. webhook deliveries).</summary>
    Task ExecuteUncheckedAsync(string sql);
}
