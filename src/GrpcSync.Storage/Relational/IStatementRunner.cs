namespace GrpcSync.Storage.Relational;

/// <summary>
/// Runs a write statement on a connection with less overhead than an ADO command, where the provider allows it (SQLite:
/// prepared once per connection, parameters bound by their position, nothing allocated per call but the values).
/// Statements run in whatever transaction the connection has open.
/// </summary>
internal interface IStatementRunner : IDisposable
{
    /// <summary>Runs <paramref name="sql"/> with <paramref name="parameters"/> (by name) and returns the rows it changed.</summary>
    int Execute(string sql, ReadOnlySpan<(string Name, object? Value)> parameters);
}
