using GrpcSync.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace GrpcSync.Storage.Tests.Sqlite;

/// <summary>The native write path of the SQLite store, on a real database file.</summary>
public sealed class SqliteStatementRunnerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("grpcsync-runner.").FullName;
    private readonly SqliteConnection _connection;
    private readonly SqliteStatementRunner _runner;

    public SqliteStatementRunnerTests()
    {
        _connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "runner.db")};Pooling=False");
        _connection.Open();
        _connection.Handle!.enable_sqlite3_next_stmt(true); // lets the test list the connection's live statements
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL, label TEXT, ratio REAL, data BLOB, flag INTEGER)";
        create.ExecuteNonQuery();
        _runner = new SqliteStatementRunner(_connection);
    }

    [Fact]
    public void Execute_BindsEachValueToItsNamedParameter_WhateverTheOrder_AndReturnsTheRowsChanged()
    {
        Assert.Equal(1, _runner.Execute("INSERT INTO t (id, n, label, ratio, data, flag) VALUES (@id, @n, @label, @ratio, @data, @flag)",
            [("@flag", true), ("@data", new byte[] { 1, 2, 3 }), ("@ratio", 0.5), ("@label", null), ("@n", 7), ("@id", "a")]));
        Assert.Equal(1, _runner.Execute("INSERT INTO t (id, n) VALUES (@id, @n)", [("@id", "b"), ("@n", 8L)]));

        // The same SQL again (the prepared statement, reset): other values; a parameter the SQL does not name is left out.
        Assert.Equal(2, _runner.Execute("UPDATE t SET n = n + @by WHERE n >= @from", [("@from", 7), ("@by", 10), ("@unused", "x")]));
        Assert.Equal(0, _runner.Execute("UPDATE t SET n = n + @by WHERE n >= @from", [("@from", 100), ("@by", 1)]));

        Assert.Equal([("a", 17L, (string?)null, 0.5, "010203", 1L), ("b", 18L, null, double.NaN, "", 0L)], ReadAll());
    }

    [Fact]
    public void Execute_ABrokenConstraint_ThrowsTheSqliteError_AndTheStatementRunsAgainAfterIt()
    {
        const string insert = "INSERT INTO t (id, n) VALUES (@id, @n)";
        _runner.Execute(insert, [("@id", "a"), ("@n", 1)]);

        var error = Assert.Throws<SqliteException>(() => _runner.Execute(insert, [("@id", "a"), ("@n", 2)]));
        Assert.Equal(raw.SQLITE_CONSTRAINT, error.SqliteErrorCode);
        var missing = Assert.Throws<SqliteException>(() => _runner.Execute(insert, [("@id", "c")])); // @n unbound: NULL
        Assert.Equal(raw.SQLITE_CONSTRAINT, missing.SqliteErrorCode);

        Assert.Equal(1, _runner.Execute(insert, [("@id", "b"), ("@n", 3)]));
        Assert.Equal(["a", "b"], ReadAll().Select(r => r.Id));
    }

    [Fact]
    public void Execute_RunsInTheConnectionsOpenTransaction()
    {
        using (var tx = _connection.BeginTransaction())
        {
            _runner.Execute("INSERT INTO t (id, n) VALUES (@id, @n)", [("@id", "a"), ("@n", 1)]);
            tx.Rollback();
        }
        Assert.Empty(ReadAll());
    }

    [Fact]
    public void Execute_RefusesWhatItCannotRunExactly()
    {
        Assert.Throws<ArgumentException>(() => _runner.Execute("INSERT INTO t (id, n) VALUES (@id, @n)", [("@id", Guid.NewGuid()), ("@n", 1)]));
        Assert.Throws<ArgumentException>(() => _runner.Execute("DELETE FROM t; DELETE FROM t", []));
        var syntax = Assert.Throws<SqliteException>(() => _runner.Execute("UPDATE nowhere SET n = 1", []));
        Assert.Equal(raw.SQLITE_ERROR, syntax.SqliteErrorCode);
        Assert.Empty(ReadAll());
    }

    [Fact]
    public void Dispose_FinalizesEveryStatementItPrepared()
    {
        _runner.Execute("INSERT INTO t (id, n) VALUES (@id, @n)", [("@id", "a"), ("@n", 1)]);
        _runner.Execute("UPDATE t SET n = @n", [("@n", 2)]);
        Assert.NotNull(raw.sqlite3_next_stmt(_connection.Handle!, null));

        _runner.Dispose();

        Assert.Null(raw.sqlite3_next_stmt(_connection.Handle!, null));
    }

    private List<(string Id, long N, string? Label, double Ratio, string Data, long Flag)> ReadAll()
    {
        using var select = _connection.CreateCommand();
        select.CommandText = "SELECT id, n, label, ratio, hex(data), flag FROM t ORDER BY id";
        using var reader = select.ExecuteReader();
        var rows = new List<(string, long, string?, double, string, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? double.NaN : reader.GetDouble(3), reader.GetString(4), reader.IsDBNull(5) ? 0 : reader.GetInt64(5)));
        }
        return rows;
    }

    public void Dispose()
    {
        _runner.Dispose();
        _connection.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp directory
        }
    }
}
