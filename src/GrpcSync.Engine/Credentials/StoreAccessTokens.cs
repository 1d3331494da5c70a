using GrpcSync.Connectors;
using GrpcSync.Domain;
using GrpcSync.Storage;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Engine.Credentials;

/// <summary>
/// The access tokens of one OAuth credential for one run or one content download (<see cref="IAccessTokens"/>),
/// kept in the credential's stored secret (<see cref="OAuthGrant"/>) so every run and replica shares them.
/// <para>
/// A refresh happens under the credential's refresh lease in the store (<see cref="ICredentialTokenStore"/>): the
/// one holder reads the grant again (another may have refreshed while it waited), calls the token endpoint, and
/// writes the new grant with a compare-and-swap on the secret version, releasing the lease in the same statement.
/// Everyone else polls the stored grant until it carries a fresh token. A rotated refresh token is therefore
/// written exactly once and never overwritten with the dead one. <c>invalid_grant</c> marks the credential invalid
/// and errors every Sync on it (<see cref="SyncRules.CredentialRejected"/>); a transient failure only releases the
/// lease (the run is retried with backoff).
/// </para>
/// </summary>
public sealed partial class StoreAccessTokens : IAccessTokens
{
    /// <summary>A token with less than this left is refreshed before use.</summary>
    public static readonly TimeSpan ExpirySkew = TimeSpan.FromSeconds(60);

    private readonly Guid _credentialId;
    private readonly IEngineStore _store;
    private readonly ICredentialTokenStore _tokens;
    private readonly ICredentialSecrets _secrets;
    private readonly IOAuthGrants _grants;
    private readonly TimeProvider _time;
    private readonly AccessTokenOptions _options;
    private readonly string _holder;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _local = new(1, 1); // one refresh attempt per instance at a time (pages are sequential anyway)
    private (string Token, DateTimeOffset ExpiresAt)? _cached;

    public StoreAccessTokens(Guid credentialId, IEngineStore store, ICredentialTokenStore tokens, ICredentialSecrets secrets,
        IOAuthGrants grants, TimeProvider time, AccessTokenOptions options, string holder, ILogger logger)
    {
        _credentialId = credentialId;
        _store = store;
        _tokens = tokens;
        _secrets = secrets;
        _grants = grants;
        _time = time;
        _options = options;
        _holder = holder;
        _logger = logger;
    }

    public async ValueTask<string> GetAsync(CancellationToken ct)
    {
        if (_cached is { } cached && cached.ExpiresAt - ExpirySkew > _time.GetUtcNow())
        {
            return cached.Token;
        }
        return await FreshTokenAsync(rejected: null, ct);
    }

    public async ValueTask<string> RenewAsync(string rejected, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        _cached = null;
        return await FreshTokenAsync(rejected, ct);
    }

    /// <summary>A stored token that is fresh and not <paramref name="rejected"/>, refreshing (or waiting for the refresher) when there is none.</summary>
    private async Task<string> FreshTokenAsync(string? rejected, CancellationToken ct)
    {
        await _local.WaitAsync(ct);
        try
        {
            var giveUpAt = _time.GetUtcNow() + _options.WaitForOtherRefresh;
            while (true)
            {
                var (_, grant) = await ReadAsync(ct);
                if (Usable(grant, rejected) is { } token)
                {
                    return token;
                }
                var now = _time.GetUtcNow();
                if (await _tokens.TryTakeRefreshLeaseAsync(_credentialId, _holder, now, now + _options.RefreshLease, ct))
                {
                    if (await RefreshUnderLeaseAsync(rejected, ct) is { } refreshed)
                    {
                        return refreshed;
                    }
                    continue; // another writer came first: read what it stored
                }
                if (_time.GetUtcNow() >= giveUpAt)
                {
                    throw new TransientSourceException("Another run is refreshing the credential's access token and has not finished; the run is retried.");
                }
                await Task.Delay(_options.PollInterval, _time, ct);
            }
        }
        finally
        {
            _local.Release();
        }
    }

    /// <summary>Holding the lease: read again, refresh, store with a compare-and-swap. Null when the swap lost (read again).</summary>
    private async Task<string?> RefreshUnderLeaseAsync(string? rejected, CancellationToken ct)
    {
        var released = false;
        try
        {
            var (credential, grant) = await ReadAsync(ct);
            if (Usable(grant, rejected) is { } token)
            {
                return token; // refreshed by the previous holder while this run waited for the lease
            }
            OAuthTokens tokens;
            try
            {
                tokens = await _grants.RefreshAsync(grant.RefreshToken, ct);
            }
            catch (PermanentSourceException rejectedGrant) when (rejectedGrant.Code == SyncEvents.CredentialRejectedCode)
            {
                var now = _time.GetUtcNow();
                var errored = await _tokens.InvalidateCredentialAsync(_credentialId, credential.SecretVersion, now,
                    s => SyncRules.CredentialRejected(s, now), CancellationToken.None);
                released = true;
                if (errored is null)
                {
                    return null; // the secret was replaced meanwhile (a new grant): try with it
                }
                LogCredentialRejected(_credentialId, errored.Value, rejectedGrant.Message);
                throw new PermanentSourceException(SyncEvents.CredentialRejectedCode, SyncRules.CredentialRejectedReason);
            }
            var next = new OAuthGrant(tokens.RotatedRefreshToken ?? grant.RefreshToken, tokens.AccessToken, tokens.ExpiresAt);
            var stored = await _tokens.ReplaceSecretAsync(_credentialId, credential.SecretVersion, _secrets.Protect(next.ToStored()), _holder,
                CancellationToken.None);
            released = stored; // the swap releases the lease; a lost swap leaves it to the finally below
            if (!stored)
            {
                LogSwapLost(_credentialId, credential.SecretVersion);
                return null;
            }
            LogRefreshed(_credentialId, credential.SecretVersion + 1, tokens.ExpiresAt, tokens.RotatedRefreshToken is not null);
            _cached = (tokens.AccessToken, tokens.ExpiresAt);
            return tokens.AccessToken;
        }
        finally
        {
            if (!released)
            {
                await _tokens.ReleaseRefreshLeaseAsync(_credentialId, _holder, CancellationToken.None);
            }
        }
    }

    private string? Usable(OAuthGrant grant, string? rejected)
    {
        if (grant.AccessToken is { } token && grant.ExpiresAt is { } expires && expires - ExpirySkew > _time.GetUtcNow()
            && !string.Equals(token, rejected, StringComparison.Ordinal))
        {
            _cached = (token, expires);
            return token;
        }
        return null;
    }

    private async Task<(Credential Credential, OAuthGrant Grant)> ReadAsync(CancellationToken ct)
    {
        var credential = await _store.GetCredentialAsync(_credentialId, ct)
            ?? throw new PermanentSourceException(SyncEvents.CredentialDeletedCode, SyncRules.CredentialGoneReason(_credentialId));
        if (credential.InvalidAt is not null)
        {
            throw new PermanentSourceException(SyncEvents.CredentialRejectedCode, SyncRules.CredentialRejectedReason);
        }
        return (credential, OAuthGrant.FromStored(_secrets.Reveal(credential.ProtectedSecret)));
    }

    // Logs carry ids, versions and times only: never a token.

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information,
        Message = "Refreshed the access token of credential {CredentialId} (secret version {Version}, expires {ExpiresAt:O}, refresh token rotated: {Rotated})")]
    private partial void LogRefreshed(Guid credentialId, long version, DateTimeOffset expiresAt, bool rotated);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning,
        Message = "Credential {CredentialId} was rejected by its token endpoint; {Errored} Syncs on it are now ERRORED ({Reason})")]
    private partial void LogCredentialRejected(Guid credentialId, int errored, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning,
        Message = "The refreshed secret of credential {CredentialId} was not stored: version {Version} was replaced meanwhile; reading the stored one")]
    private partial void LogSwapLost(Guid credentialId, long version);
}
