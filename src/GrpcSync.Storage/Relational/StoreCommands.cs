using System.Data.Common;
using System.Globalization;

namespace GrpcSync.Storage.Relational;

/// <summary>ADO helpers the store's SQL runs through: commands with their parameters, and rows read back.</summary>
internal static class StoreCommands
{
    /// <summary>A command owned by the connection's lease (prepared once and reused on a reusable connection).</summary>
    internal static DbCommand Command(StoreConnection connection, DbTransaction? tx, string sql,
        params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        WithParameters(connection.Command(sql, tx), parameters);

    /// <summary>Like <see cref="Command"/> for SQL built per call (IN lists): not kept for reuse.</summary>
    internal static DbCommand OneOffCommand(StoreConnection connection, DbTransaction? tx, string sql,
        params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        WithParameters(connection.Command(sql, tx, keep: false), parameters);

    internal static DbCommand WithParameters(DbCommand command, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            AddParameter(command, name, value);
        }
        return command;
    }

    /// <summary>"@p0, @p1, ..." for <paramref name="count"/> parameters named <paramref name="prefix"/> + index.</summary>
    internal static string InList(string prefix, int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture)));

    internal static void AddParameter(DbCommand command, string name, object? value) =>
        command.Parameters.Add(Parameter(command.CreateParameter(), name, value));

    internal static DbParameter Parameter(DbParameter parameter, string name, object? value)
    {
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value; // null binds as SQL NULL
        return parameter;
    }

    internal static async Task<int> ExecuteAsync(StoreConnection connection, DbTransaction? tx, string sql,
        CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    internal static async Task<object?> ScalarAsync(StoreConnection connection, DbTransaction? tx, string sql,
        CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, tx, sql, parameters);
        var result = await command.ExecuteScalarAsync(ct);
        return result is DBNull ? null : result;
    }

    internal static async Task<IReadOnlyList<TRow>> ReadAllAsync<TRow>(DbCommand command, Func<DbDataReader, TRow> map,
        CancellationToken ct)
    {
        var rows = new List<TRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(map(reader));
        }
        return rows;
    }
}
