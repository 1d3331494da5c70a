namespace GrpcSync.Storage.Relational;

/// <summary>Checks on a dialect's list of migrations.</summary>
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
