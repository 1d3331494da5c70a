using System.Net;
using GrpcSync.Networking;

namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// What a webhook URL must look like before anything is resolved: absolute, <c>https</c> (<c>http</c> too where
/// private networks are allowed, for local receivers), a host, no user info (credentials in a URL end up in
/// logs), no fragment (never sent), at most <see cref="MaxLength"/> characters. A host written as an IP literal
/// is judged here too (<see cref="PublicAddresses"/>); a DNS name is resolved by the host and its addresses
/// judged by <see cref="RefusedAddress"/>. No I/O here.
/// </summary>
public static class WebhookUrlRules
{
    public const int MaxLength = 2048;

    /// <summary>The ErrorInfo reason of a URL refused for where it points (not for how it is written).</summary>
    public const string RefusedReason = "WEBHOOK_URL_REFUSED";

    /// <summary>
    /// The parsed URL, or null with <paramref name="problem"/> saying what is wrong with how it is written
    /// (a field violation of <paramref name="field"/>).
    /// </summary>
    public static Uri? Parse(string field, string? url, bool allowPrivateNetworks, out string problem)
    {
        problem = "";
        if (string.IsNullOrWhiteSpace(url))
        {
            problem = $"{field} is required.";
            return null;
        }
        if (url.Length > MaxLength)
        {
            problem = $"{field} must be at most {MaxLength} characters.";
            return null;
        }
        if (url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            problem = $"{field} must not contain spaces or control characters.";
            return null;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.IsFile || uri.IsUnc)
        {
            problem = $"{field} must be an absolute URL such as https://hooks.example.com/grpcsync.";
            return null;
        }
        var httpAllowed = allowPrivateNetworks && uri.Scheme == Uri.UriSchemeHttp;
        if (uri.Scheme != Uri.UriSchemeHttps && !httpAllowed)
        {
            problem = allowPrivateNetworks
                ? $"{field} must use https or http, not '{uri.Scheme}'."
                : $"{field} must use https, not '{uri.Scheme}'.";
            return null;
        }
        if (uri.UserInfo.Length > 0)
        {
            problem = $"{field} must not contain user info (user:password@); authenticate receivers by the signature.";
            return null;
        }
        if (string.IsNullOrEmpty(uri.Host))
        {
            problem = $"{field} must name a host.";
            return null;
        }
        if (uri.Fragment.Length > 0)
        {
            problem = $"{field} must not have a fragment (#…): it is never sent.";
            return null;
        }
        return uri;
    }

    /// <summary>The host as an IP address when the URL names one literally (IPv6 without brackets).</summary>
    public static IPAddress? LiteralAddress(Uri url) =>
        url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(url.DnsSafeHost, out var address)
            ? address
            : null;

    /// <summary>
    /// The first non-public address among <paramref name="addresses"/> with the rule that refuses it (null when all
    /// are public, or when private networks are allowed). Every address counts: a name with one private address
    /// could be connected to that one.
    /// </summary>
    public static (IPAddress Address, string Rule)? RefusedAddress(IEnumerable<IPAddress> addresses, bool allowPrivateNetworks)
    {
        if (allowPrivateNetworks)
        {
            return null;
        }
        foreach (var address in addresses)
        {
            if (!PublicAddresses.IsPublic(address, out var rule))
            {
                return (address, rule);
            }
        }
        return null;
    }

    /// <summary>
    /// INVALID_ARGUMENT (<see cref="RefusedReason"/>): the URL points at an address webhooks may not reach;
    /// <paramref name="literal"/> when the host is that address itself (nothing was resolved).
    /// </summary>
    public static DomainException Refused(string field, string host, IPAddress address, string rule, bool literal)
    {
        var where = literal ? $"{host} is {rule}" : $"{host} resolves to {address}, which is {rule}";
        var message = $"{field} refused: {where}; webhooks are sent only to public addresses " +
                      "(GrpcSync:Webhooks:AllowPrivateNetworks allows others for local receivers).";
        return new DomainException(ErrorKind.InvalidArgument, RefusedReason, message, [new FieldViolation(field, message)]);
    }

    /// <summary>INVALID_ARGUMENT (<see cref="RefusedReason"/>): the host has no address (or could not be resolved now).</summary>
    public static DomainException Unresolvable(string field, string host, string why)
    {
        var message = $"{field} refused: the host '{host}' could not be resolved ({why}).";
        return new DomainException(ErrorKind.InvalidArgument, RefusedReason, message, [new FieldViolation(field, message)]);
    }
}
