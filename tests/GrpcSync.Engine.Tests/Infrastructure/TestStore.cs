namespace GrpcSync.Engine.Tests.Infrastructure;

/// <summary>The store an engine test runs on: the suite runs once per store.</summary>
public enum TestStore
{
    /// <summary>A fresh SQLite file in the test's temp directory.</summary>
    Sqlite,

    /// <summary>A fresh database on the test process's throwaway PostgreSQL server (SharedPostgresServer).</summary>
    Postgres,
}
