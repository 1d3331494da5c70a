using System.Net;
using System.Net.Sockets;

namespace GrpcSync.Networking;

/// <summary>
/// The core of a <c>SocketsHttpHandler.ConnectCallback</c> for URLs users name (webhooks, S3 endpoints): resolves
/// the host once, refuses the connection if ANY address is not public (unless private addresses are allowed), and
/// connects to those same checked addresses, so DNS rebinding between check and connect cannot reach an internal
/// address. Host header and TLS SNI stay the URL's host (the handler sets them; only the socket is ours).
/// </summary>
public static class GuardedConnect
{
    /// <summary>
    /// Connects to <paramref name="endpoint"/> as the summary says; a refusal throws what <paramref name="refuse"/>
    /// makes of its reason (e.g. "host resolves to 10.0.0.1, which is private (10.0.0.0/8)").
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowPrivate, Func<string, Exception> refuse,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(refuse);
        var host = endpoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw refuse($"{host} has no address");
        }
        if (!allowPrivate)
        {
            foreach (var address in addresses)
            {
                if (!PublicAddresses.IsPublic(address, out var rule))
                {
                    throw refuse($"{host} resolves to {address}, which is {rule}");
                }
            }
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }; // dual mode: IPv4 and IPv6
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
