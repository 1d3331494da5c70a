namespace GrpcSync.Connectors;

/// <summary>
/// The access tokens of an OAuth credential, kept by the engine (<see cref="SourceContext.AccessTokens"/>) for a
/// connector that implements <see cref="IOAuthGrants"/>. The engine refreshes a token at most once per credential at
/// a time, across runs and replicas (a lease in the store), and stores a rotated refresh token with a
/// compare-and-swap write, so the connector never sees or handles a refresh token during a run.
/// </summary>
public interface IAccessTokens
{
    /// <summary>
    /// A token to send now: the stored one while it has more than a minute left, else a fresh one (refreshed here,
    /// or by whichever run holds the credential's refresh lease). Throws <see cref="PermanentSourceException"/>
    /// (<c>CREDENTIAL_REJECTED</c>) when the grant was revoked, <see cref="TransientSourceException"/> when the token
    /// endpoint cannot answer now.
    /// </summary>
    ValueTask<string> GetAsync(CancellationToken ct);

    /// <summary>
    /// The source refused <paramref name="rejected"/> (HTTP 401): a token other than it, refreshed unless another
    /// run already replaced it. Same failures as <see cref="GetAsync"/>.
    /// </summary>
    ValueTask<string> RenewAsync(string rejected, CancellationToken ct);
}
