using System.Net;
using System.Net.Sockets;
using GrpcSync.Domain.Webhooks;
using GrpcSync.Engine.Configuration;
using Microsoft.Extensions.Options;

namespace GrpcSync.Server.Api;

/// <summary>
/// The resolving half of a webhook URL check (the written form is <see cref="WebhookUrlRules"/>'): the host is
/// resolved and every address it has must be public, unless <see cref="WebhookOptions.AllowPrivateNetworks"/>.
/// An IP literal is judged as it is. A host that does not resolve is refused too: nothing could be delivered
/// to it, and the caller should hear that now. Delivery checks again on every attempt (DNS can change).
/// </summary>
public sealed class WebhookUrlCheck(IOptions<WebhookOptions> options)
{
    /// <summary>Longest a create or update waits for DNS; a slower resolver is answered as "could not resolve".</summary>
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    public bool AllowPrivateNetworks => options.Value.AllowPrivateNetworks;

    /// <summary>Returns normally when <paramref name="url"/> may receive webhooks; throws WEBHOOK_URL_REFUSED otherwise.</summary>
    public async Task EnsureAllowedAsync(string field, Uri url, CancellationToken ct)
    {
        var host = url.DnsSafeHost;
        IPAddress[] addresses;
        if (WebhookUrlRules.LiteralAddress(url) is { } literal)
        {
            addresses = [literal];
        }
        else
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ResolveTimeout);
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, timeout.Token);
            }
            catch (SocketException error)
            {
                throw WebhookUrlRules.Unresolvable(field, host, error.SocketErrorCode == SocketError.HostNotFound ? "no such host" : error.SocketErrorCode.ToString());
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw WebhookUrlRules.Unresolvable(field, host, $"no answer within {ResolveTimeout.TotalSeconds:0} s");
            }
            catch (ArgumentException)
            {
                throw WebhookUrlRules.Unresolvable(field, host, "not a valid host name");
            }
            if (addresses.Length == 0)
            {
                throw WebhookUrlRules.Unresolvable(field, host, "no addresses");
            }
        }
        if (WebhookUrlRules.RefusedAddress(addresses, AllowPrivateNetworks) is { } refusal)
        {
            throw WebhookUrlRules.Refused(field, host, refusal);
        }
    }
}
