using System.Data.Common;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// A database connection lent to one store operation, with the commands the operation makes on it.
/// Commands belong to the lease, not to the call that made them: disposing the lease disposes them (or, on
/// a reusable connection, keeps them prepared for the next operation that runs the same SQL).
/// </summary>
/// <remarks>
/// Why: preparing a statement costs SQLite more than running it, and one Sync mutation runs three or four
/// statements. A reusable connection (the SQLite store's own pool of set-up connections) keeps one prepared
/// command per SQL text, so a hot path prepares nothing.
/// PostgreSQL leases are not reusable: Npgsql pools the physical connection and prepares by itself (auto-prepare).
/// </remarks>
internal sealed class StoreConnection : IAsyncDisposable
{
    /// <summary>Most prepared commands one reusable connection keeps (SQL built per call, e.g. IN lists, is not kept past it).</summary>
    internal const int MaxPreparedCommands = 64;

    private readonly Func<StoreConnection, ValueTask>? _giveBack;
    private readonly Dictionary<string, DbCommand> _prepared = new(StringComparer.Ordinal);
    private List<DbCommand>? _lentOnce; // disposed with the lease
    private readonly List<DbCommand> _usedThisLease = []; // prepared commands to reset when the lease ends

    /// <param name="connection">An open connection.</param>
    /// <param name="giveBack">
    /// Null: the lease disposes the connection. Otherwise the connection is reusable and is handed to this
    /// (e.g. back to a pool) when the lease ends, its prepared commands kept.
    /// </param>
    public StoreConnection(DbConnection connection, Func<StoreConnection, ValueTask>? giveBack = null)
    {
        Connection = connection;
        _giveBack = giveBack;
    }

    public DbConnection Connection { get; }

    /// <summary>The provider's cheaper path for write statements, if it has one (closed with the connection).</summary>
    public IStatementRunner? Runner { get; init; }

    /// <summary>The operation appended events: its commit pulses <see cref="EventSignals.Appended"/>.</summary>
    public bool AppendedEvents { get; set; }

    /// <summary>
    /// A command for <paramref name="sql"/>, without parameters, in <paramref name="tx"/>. <paramref name="keep"/>
    /// false for SQL built per call (IN lists of varying length): it would only crowd out the hot statements.
    /// </summary>
    public DbCommand Command(string sql, DbTransaction? tx, bool keep = true)
    {
        if (keep && _giveBack is not null && _prepared.TryGetValue(sql, out var prepared))
        {
            prepared.Parameters.Clear();
            prepared.Transaction = tx;
            _usedThisLease.Add(prepared);
            return prepared;
        }
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        if (keep && _giveBack is not null && _prepared.Count < MaxPreparedCommands)
        {
            _prepared.Add(sql, command);
            _usedThisLease.Add(command);
        }
        else
        {
            (_lentOnce ??= []).Add(command);
        }
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        AppendedEvents = false;
        if (_lentOnce is { } once)
        {
            foreach (var command in once)
            {
                await command.DisposeAsync();
            }
            once.Clear();
        }
        if (_giveBack is null)
        {
            Runner?.Dispose();
            await Connection.DisposeAsync();
            return;
        }
        foreach (var command in _usedThisLease)
        {
            command.Transaction = null; // no reference to an ended transaction while pooled
            command.Parameters.Clear(); // nor to the last call's values
        }
        _usedThisLease.Clear();
        await _giveBack(this);
    }

    /// <summary>Closes the connection and its prepared commands for good (a pool dropping it).</summary>
    public async ValueTask CloseAsync()
    {
        foreach (var command in _prepared.Values)
        {
            await command.DisposeAsync();
        }
        _prepared.Clear();
        Runner?.Dispose(); // its statements before the connection they belong to
        await Connection.DisposeAsync();
    }
}
