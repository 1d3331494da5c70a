using GrpcSync.Domain;
using static GrpcSync.Storage.Relational.StoreCommands;

namespace GrpcSync.Storage.Relational;

/// <summary>The credentials of many runs in one read (the engine reads a dispatch round's credentials at once).</summary>
public abstract partial class RelationalSyncStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One connection and one query (the ids bound as one value, <see cref="IdIsOneOf"/>) instead of a connection per
    /// run: with a thousand runs in flight, per-run reads queue on the connection pool, and the dispatcher and the group commit
    /// queue behind them. Each credential is read as <see cref="GetCredentialAsync(Guid, CancellationToken)"/> reads it.
    /// </remarks>
    public async Task<IReadOnlyDictionary<Guid, Credential>> GetCredentialsAsync(IReadOnlyCollection<Guid> credentialIds,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(credentialIds);
        var found = new Dictionary<Guid, Credential>();
        if (credentialIds.Count == 0)
        {
            return found;
        }
        await using var connection = await OpenConnectionAsync(ct);
        _credentialsByIdSql ??= $"SELECT {CredentialColumns} FROM credentials WHERE {IdIsOneOf("id", "@ids")} AND deleted_at IS NULL";
        var select = Command(connection, null, _credentialsByIdSql, ("@ids", IdSetParameter([.. credentialIds.Distinct()])));
        foreach (var credential in await ReadAllAsync(select, ReadCredential, ct))
        {
            found[credential.Id] = credential;
        }
        return found;
    }

    private string? _credentialsByIdSql;
}
