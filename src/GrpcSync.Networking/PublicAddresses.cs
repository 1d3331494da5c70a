using System.Net;
using System.Net.Sockets;

namespace GrpcSync.Networking;

/// <summary>
/// Which IP addresses a server-side fetch of a user-named URL (webhooks, a connector's endpoint) may reach by
/// default: only publicly routable ones. Every other range (loopback,
/// private, link-local with the cloud metadata address, CGNAT, documentation, benchmarking, multicast,
/// reserved, IPv6 unique-local…) is refused with the name of the rule, so an error can say why. IPv4-mapped
/// and NAT64 IPv6 addresses are judged by the IPv4 address they carry.
/// </summary>
public static class PublicAddresses
{
    private sealed record Range(IPAddress Network, int PrefixLength, string Rule);

    private static readonly Range[] Refused =
    [
        V("0.0.0.0", 8, "'this network' (0.0.0.0/8)"),
        V("10.0.0.0", 8, "private (10.0.0.0/8)"),
        V("100.64.0.0", 10, "carrier-grade NAT (100.64.0.0/10)"),
        V("127.0.0.0", 8, "loopback (127.0.0.0/8)"),
        V("169.254.0.0", 16, "link-local and cloud metadata (169.254.0.0/16)"),
        V("172.16.0.0", 12, "private (172.16.0.0/12)"),
        V("192.0.0.0", 24, "IETF protocol assignments (192.0.0.0/24)"),
        V("192.0.2.0", 24, "documentation (192.0.2.0/24)"),
        V("192.168.0.0", 16, "private (192.168.0.0/16)"),
        V("198.18.0.0", 15, "benchmarking (198.18.0.0/15)"),
        V("198.51.100.0", 24, "documentation (198.51.100.0/24)"),
        V("203.0.113.0", 24, "documentation (203.0.113.0/24)"),
        V("224.0.0.0", 4, "multicast (224.0.0.0/4)"),
        V("240.0.0.0", 4, "reserved and broadcast (240.0.0.0/4)"),
        V("::", 128, "unspecified (::)"),
        V("::1", 128, "loopback (::1)"),
        V("fc00::", 7, "unique local (fc00::/7)"),
        V("fe80::", 10, "link-local (fe80::/10)"),
        V("fec0::", 10, "site-local (fec0::/10)"),
        V("ff00::", 8, "multicast (ff00::/8)"),
        V("2001:db8::", 32, "documentation (2001:db8::/32)"),
    ];

    private static readonly Range Nat64 = V("64:ff9b::", 96, "NAT64");

    private static Range V(string network, int prefix, string rule) => new(IPAddress.Parse(network), prefix, rule);

    /// <summary>True when <paramref name="address"/> is publicly routable; otherwise <paramref name="rule"/> names the range.</summary>
    public static bool IsPublic(IPAddress address, out string rule)
    {
        var judged = Unwrap(address);
        foreach (var range in Refused)
        {
            if (Contains(range, judged))
            {
                rule = range.Rule;
                return false;
            }
        }
        rule = "";
        return true;
    }

    /// <summary>The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) address; else the address.</summary>
    private static IPAddress Unwrap(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (Contains(Nat64, address))
        {
            var bytes = address.GetAddressBytes();
            return new IPAddress(bytes.AsSpan(12, 4));
        }
        return address;
    }

    private static bool Contains(Range range, IPAddress address)
    {
        if (range.Network.AddressFamily != address.AddressFamily)
        {
            return false;
        }
        Span<byte> network = stackalloc byte[16];
        Span<byte> candidate = stackalloc byte[16];
        range.Network.TryWriteBytes(network, out var length);
        address.TryWriteBytes(candidate, out _);
        var fullBytes = range.PrefixLength / 8;
        if (!network[..fullBytes].SequenceEqual(candidate[..fullBytes]))
        {
            return false;
        }
        var remainingBits = range.PrefixLength % 8;
        if (remainingBits == 0 || fullBytes >= length)
        {
            return true;
        }
        var mask = (byte)(0xFF << (8 - remainingBits));
        return (network[fullBytes] & mask) == (candidate[fullBytes] & mask);
    }
}
