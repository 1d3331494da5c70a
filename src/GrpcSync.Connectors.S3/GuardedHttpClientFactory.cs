using Amazon.Runtime;
using GrpcSync.Networking;

namespace GrpcSync.Connectors.S3;

/// <summary>
/// The HTTP client the AWS SDK talks through. Its <see cref="SocketsHttpHandler.ConnectCallback"/> resolves the
/// host once, refuses the connection if any address is not public (unless the allow-list entry permits private
/// ones) and connects to those same checked addresses, so DNS rebinding cannot reach an internal address after
/// the check. Redirects are never followed. One pooled client per factory, kept for the connector's life.
/// </summary>
internal sealed class GuardedHttpClientFactory : HttpClientFactory, IDisposable
{
    private readonly HttpClient _client;

    public GuardedHttpClientFactory(bool privateAddressesAllowed, TimeSpan requestTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false, // a proxy would connect on our behalf, past the address check
            PooledConnectionLifetime = TimeSpan.FromMinutes(5), // DNS changes are picked up (and checked again)
            ConnectCallback = (context, ct) => ConnectAsync(context, privateAddressesAllowed, ct),
        };
        _client = new HttpClient(handler) { Timeout = requestTimeout };
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => _client;

    // The client is ours and shared across SDK clients: the SDK must neither cache nor dispose it.
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public void Dispose() => _client.Dispose();

    private static ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool privateAddressesAllowed, CancellationToken ct) =>
        GuardedConnect.ConnectAsync(context.DnsEndPoint, privateAddressesAllowed, reason => new S3EndpointRefusedException(
            $"{reason}; only an endpoint listed exactly in GrpcSync:Connectors:S3:AllowedEndpoints may be private."), ct);
}

/// <summary>The connect-time address check refused the endpoint (see <see cref="GuardedHttpClientFactory"/>).</summary>
internal sealed class S3EndpointRefusedException(string message) : IOException(message);
