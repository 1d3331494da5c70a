namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>The store a test host runs on: the suite runs once per store (see the *OnSqlite / *OnPostgres fixtures).</summary>
public enum TestStore
{
    /// <summary>A fresh SQLite file in the fixture's temp directory.</summary>
    Sqlite,

    /// <summary>A fresh database on the test process's throwaway PostgreSQL server (SharedPostgresServer).</summary>
    Postgres,
}
