using GrpcSync.Testing.Postgres;

namespace GrpcSync.Replicas.Tests;

/// <summary>One throwaway PostgreSQL server for all replica tests; each test gets its own database.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "Postgres";
}
