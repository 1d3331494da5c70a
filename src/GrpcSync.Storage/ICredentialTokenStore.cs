using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// What the engine's OAuth access-token refresh needs from the store, so that a credential is refreshed by one run at
/// a time across every replica and a rotated refresh token is never lost: a refresh lease on the credential row, a
/// compare-and-swap rewrite of its secret (<see cref="Credential.SecretVersion"/>), and marking it invalid when the
/// source rejected the grant. Implemented by the same classes as <see cref="IEngineStore"/>.
/// </summary>
public interface ICredentialTokenStore
{
    /// <summary>
    /// Takes the credential's refresh lease for <paramref name="holder"/> until <paramref name="until"/>, unless another
    /// holder's lease is still live at <paramref name="now"/>. False when it is, or when the credential is deleted or
    /// invalid. One atomic statement: two replicas can never both hold it.
    /// </summary>
    Task<bool> TryTakeRefreshLeaseAsync(Guid credentialId, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken ct = default);

    /// <summary>Gives the lease back (only <paramref name="holder"/>'s; another's is left alone).</summary>
    Task ReleaseRefreshLeaseAsync(Guid credentialId, string holder, CancellationToken ct = default);

    /// <summary>
    /// Compare-and-swap: stores <paramref name="protectedSecret"/> and bumps the secret version, only if the version is
    /// still <paramref name="expectedVersion"/> (and the credential is not deleted); releases <paramref name="holder"/>'s
    /// lease in the same statement. False (nothing written) when another write came first.
    /// </summary>
    Task<bool> ReplaceSecretAsync(Guid credentialId, long expectedVersion, string protectedSecret, string? holder, CancellationToken ct = default);

    /// <summary>
    /// The source rejected the grant at <paramref name="expectedVersion"/>: marks the credential invalid (and releases
    /// any refresh lease) and applies <paramref name="onBoundSync"/> (<see cref="SyncRules.CredentialRejected"/>) to every
    /// Sync bound to it, in one transaction, with the events the changes carry. Returns how many Syncs it changed, or
    /// null when the secret was replaced meanwhile (the rejected grant is no longer the credential's: nothing is done).
    /// </summary>
    Task<int?> InvalidateCredentialAsync(Guid credentialId, long expectedVersion, DateTimeOffset now,
        Func<SyncSnapshot, SyncChange<Sync>> onBoundSync, CancellationToken ct = default);
}
