using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using GrpcSync.Domain.Webhooks;
using GrpcSync.Networking;

namespace GrpcSync.Engine.Webhooks;

/// <summary>
/// The webhook client's <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host once, refuses the
/// attempt if ANY address is not public (unless private networks are allowed), and connects to those same
/// checked addresses, so DNS rebinding between check and connect cannot reach an internal address. Host
/// header and TLS SNI stay the URL's host (the handler sets them; only the socket is ours).
/// </summary>
public static class GuardedConnect
{
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivateNetworks, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0)
        {
            throw new WebhookAddressRefusedException($"{host} has no address");
        }
        if (!allowPrivateNetworks)
        {
            foreach (var address in addresses)
            {
                if (!PublicAddresses.IsPublic(address, out var rule))
                {
                    throw new WebhookAddressRefusedException($"{host} resolves to {address}, which is {rule}");
                }
            }
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }; // dual mode: IPv4 and IPv6
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
