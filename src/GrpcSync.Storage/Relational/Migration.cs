namespace GrpcSync.Storage.Relational;

/// <summary>
/// One versioned schema change. Applied once, in its own transaction, and recorded in
/// <c>schema_migrations(version, applied_at)</c>. Never edit a migration that has shipped: add one.
/// </summary>
internal sealed record Migration(int Version, string Name, string Sql);

internal static class MigrationList
{
    /// <summary>Checks that versions are positive and strictly increasing; returns the list.</summary>
    public static IReadOnlyList<Migration> Validate(IReadOnlyList<Migration> migrations)
    {
        var previous = 0;
        foreach (var migration in migrations)
        {
            if (migration.Version <= previous)
            {
                throw new InvalidOperationException(
                    $"Migration versions must be positive and strictly increasing; {migration.Version} follows {previous}.");
            }
            previous = migration.Version;
        }
        return migrations;
    }
}
