using GrpcSync.Connectors;
using GrpcSync.Storage;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Engine.Credentials;

/// <summary>
/// Makes the <see cref="SourceContext.AccessTokens"/> of a run or a content download: a <see cref="StoreAccessTokens"/>
/// when the connector takes OAuth grants (<see cref="IOAuthGrants"/>) and the store can coordinate refreshes; null otherwise.
/// </summary>
public sealed class AccessTokenSources(IEngineStore store, ICredentialTokenStore? tokens, ICredentialSecrets secrets, TimeProvider time,
    ILoggerFactory loggerFactory, AccessTokenOptions? options = null)
{
    private readonly AccessTokenOptions _options = options ?? new AccessTokenOptions();
    private readonly ILogger _logger = loggerFactory.CreateLogger<StoreAccessTokens>();

    /// <summary>The tokens of <paramref name="credentialId"/> for a reader named <paramref name="holder"/> (its lease owner: worker id and run).</summary>
    public IAccessTokens? For(IConnector connector, Guid credentialId, string holder) =>
        connector is IOAuthGrants grants && tokens is not null
            ? new StoreAccessTokens(credentialId, store, tokens, secrets, grants, time, _options, holder, _logger)
            : null;
}
