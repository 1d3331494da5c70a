using GrpcSync.Storage.Relational;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GrpcSync.Storage.Sqlite;

/// <summary>
/// The SQLite store's write statements on the native API: each SQL text is prepared once per connection and its
/// parameters are bound by position (their indexes looked up once, at prepare). Why: through <see cref="SqliteCommand"/>
/// every execution looks each parameter up by name (a UTF-8 copy of the name and a search per parameter) and builds a
/// parameter object per value; at 1,000,000 Syncs that binding was more than a third of the cost of the dispatcher's and
/// the finish writer's UPDATEs (docs/ARCHITECTURE.md, "Store notes").
/// </summary>
internal sealed class SqliteStatementRunner(SqliteConnection connection) : IStatementRunner
{
    private readonly Dictionary<string, Prepared> _statements = new(StringComparer.Ordinal);

    private sealed record Prepared(sqlite3_stmt Statement, Dictionary<string, int> IndexOf);

    public int Execute(string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var prepared = StatementFor(db, sql, out var keep);
        var statement = prepared.Statement;
        try
        {
            foreach (var (name, value) in parameters)
            {
                if (!prepared.IndexOf.TryGetValue(name, out var index))
                {
                    continue; // as SqliteCommand: a parameter the SQL does not name is left out
                }
                Check(db, value switch
                {
                    null or DBNull => raw.sqlite3_bind_null(statement, index),
                    long l => raw.sqlite3_bind_int64(statement, index, l),
                    int i => raw.sqlite3_bind_int64(statement, index, i),
                    string s => raw.sqlite3_bind_text(statement, index, s),
                    bool b => raw.sqlite3_bind_int64(statement, index, b ? 1 : 0),
                    double d => raw.sqlite3_bind_double(statement, index, d),
                    byte[] bytes => raw.sqlite3_bind_blob(statement, index, bytes),
                    _ => throw new ArgumentException($"Parameter {name}: a {value.GetType().Name} is not bound by this store."),
                });
            }
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                // A write's RETURNING rows, if any, are not read here.
            }
            if (rc != raw.SQLITE_DONE)
            {
                throw Error(db, rc);
            }
            return raw.sqlite3_changes(db);
        }
        finally
        {
            raw.sqlite3_reset(statement);
            raw.sqlite3_clear_bindings(statement);
            if (!keep)
            {
                statement.Dispose();
            }
        }
    }

    private Prepared StatementFor(sqlite3 db, string sql, out bool keep)
    {
        if (_statements.TryGetValue(sql, out var found))
        {
            keep = true;
            return found;
        }
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement, out var tail);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            throw Error(db, rc);
        }
        if (!string.IsNullOrWhiteSpace(tail))
        {
            statement.Dispose();
            throw new ArgumentException("One statement at a time: the SQL goes on after its first statement.", nameof(sql));
        }
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 1; i <= raw.sqlite3_bind_parameter_count(statement); i++)
        {
            if (raw.sqlite3_bind_parameter_name(statement, i).utf8_to_string() is { Length: > 0 } name)
            {
                indexOf[name] = i;
            }
        }
        var prepared = new Prepared(statement, indexOf);
        keep = _statements.Count < StoreConnection.MaxPreparedCommands; // as the connection's own commands
        if (keep)
        {
            _statements.Add(sql, prepared);
        }
        return prepared;
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw Error(db, rc);
        }
    }

    private static SqliteException Error(sqlite3 db, int rc) =>
        new(raw.sqlite3_errmsg(db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(db));

    public void Dispose()
    {
        foreach (var prepared in _statements.Values)
        {
            prepared.Statement.Dispose();
        }
        _statements.Clear();
    }
}
