using System.Net;
using GrpcSync.Networking;

namespace GrpcSync.Domain.Tests.Webhooks;

public sealed class PublicAddressesTests
{
    [Theory]
    [InlineData("0.1.2.3", "0.0.0.0/8")]
    [InlineData("10.20.30.40", "10.0.0.0/8")]
    [InlineData("100.64.0.1", "100.64.0.0/10")]
    [InlineData("100.100.100.200", "100.64.0.0/10")] // Alibaba Cloud metadata
    [InlineData("127.0.0.1", "127.0.0.0/8")]
    [InlineData("169.254.169.254", "169.254.0.0/16")] // AWS, GCP, Azure metadata
    [InlineData("172.31.255.255", "172.16.0.0/12")]
    [InlineData("192.0.0.170", "192.0.0.0/24")]
    [InlineData("192.0.2.1", "192.0.2.0/24")]
    [InlineData("192.168.1.1", "192.168.0.0/16")]
    [InlineData("198.19.0.1", "198.18.0.0/15")]
    [InlineData("198.51.100.7", "198.51.100.0/24")]
    [InlineData("203.0.113.9", "203.0.113.0/24")]
    [InlineData("239.255.255.250", "224.0.0.0/4")]
    [InlineData("255.255.255.255", "240.0.0.0/4")]
    [InlineData("::", "(::)")]
    [InlineData("::1", "(::1)")]
    [InlineData("fd00:ec2::254", "fc00::/7")] // AWS metadata over IPv6
    [InlineData("fe80::1", "fe80::/10")]
    [InlineData("fec0::1", "fec0::/10")]
    [InlineData("ff02::1", "ff00::/8")]
    [InlineData("2001:db8::1", "2001:db8::/32")]
    [InlineData("::ffff:127.0.0.1", "127.0.0.0/8")] // IPv4-mapped
    [InlineData("::ffff:169.254.169.254", "169.254.0.0/16")]
    [InlineData("64:ff9b::10.0.0.1", "10.0.0.0/8")] // NAT64
    public void RefusesNonPublicRanges_NamingTheRule(string address, string ruleContains)
    {
        Assert.False(PublicAddresses.IsPublic(IPAddress.Parse(address), out var rule));
        Assert.Contains(ruleContains, rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("100.63.255.255")] // just below CGNAT
    [InlineData("100.128.0.0")] // just above CGNAT
    [InlineData("172.15.255.255")] // just below 172.16/12
    [InlineData("172.32.0.0")] // just above
    [InlineData("198.17.255.255")]
    [InlineData("198.20.0.0")]
    [InlineData("223.255.255.255")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2001:db9::1")] // next to documentation
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    public void AllowsPublicAddresses(string address)
    {
        Assert.True(PublicAddresses.IsPublic(IPAddress.Parse(address), out var rule));
        Assert.Equal("", rule);
    }
}
