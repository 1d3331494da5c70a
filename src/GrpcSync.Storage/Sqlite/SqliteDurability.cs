namespace GrpcSync.Storage.Sqlite;

/// <summary>How durable a SQLite commit is (WAL mode either way).</summary>
public enum SqliteDurability
{
    /// <summary><c>synchronous=NORMAL</c>: survives a process crash; a power loss can lose the last commits.</summary>
    Normal,

    /// <summary><c>synchronous=FULL</c>: every commit is synced to disk before it returns.</summary>
    Full,
}
