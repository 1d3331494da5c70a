using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>Plain SQL on a test host's database, for state the API does not expose (yet) or cannot produce on cue.</summary>
public static class TestDatabase
{
    private static DbConnection Open(ServerFixture server)
    {
        DbConnection connection = server.Store == TestStore.Postgres
            ? new NpgsqlConnection(server.DatabaseConnectionString)
            : new SqliteConnection(server.DatabaseConnectionString);
        connection.Open();
        return connection;
    }

    public static async Task ExecuteSqlAsync(this ServerFixture server, string sql)
    {
        await using var connection = Open(server);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every row of a query, each column as it comes (DBNull as null).</summary>
    public static async Task<List<object?[]>> QuerySqlAsync(this ServerFixture server, string sql)
    {
        await using var connection = Open(server);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }
}
