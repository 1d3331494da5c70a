using System.Net;
using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Domain.Tests.Webhooks;

/// <summary>How a webhook URL must be written, and which resolved addresses refuse it.</summary>
public class WebhookUrlRulesTests
{
    [Theory]
    [InlineData("https://hooks.example.com/grpcsync")]
    [InlineData("https://hooks.example.com:8443/a/b?x=1")]
    [InlineData("https://93.184.215.14/")]
    [InlineData("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/h")]
    public void Absolute_https_urls_with_a_host_pass(string url)
    {
        var uri = WebhookUrlRules.Parse("url", url, allowPrivateNetworks: false, out var problem);

        Assert.NotNull(uri);
        Assert.Equal("", problem);
    }

    [Theory]
    [InlineData(null, "url is required.")]
    [InlineData("  ", "url is required.")]
    [InlineData("hooks.example.com/x", "absolute URL")]
    [InlineData("/relative", "absolute URL")]
    [InlineData("file:///etc/passwd", "absolute URL")]
    [InlineData("http://hooks.example.com/", "must use https, not 'http'")]
    [InlineData("ftp://hooks.example.com/", "must use https, not 'ftp'")]
    [InlineData("https://user:secret@hooks.example.com/", "user info")]
    [InlineData("https://user@hooks.example.com/", "user info")]
    [InlineData("https://hooks.example.com/#top", "fragment")]
    [InlineData("https://hooks.example.com/a\tb", "control characters")]
    [InlineData("https://hooks.example.com/a b", "spaces")]
    public void Anything_else_is_refused_with_a_reason(string? url, string expected)
    {
        var uri = WebhookUrlRules.Parse("url", url, allowPrivateNetworks: false, out var problem);

        Assert.Null(uri);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.StartsWith("url ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Length_is_capped()
    {
        var atCap = "https://hooks.example.com/" + new string('a', WebhookUrlRules.MaxLength - "https://hooks.example.com/".Length);

        Assert.NotNull(WebhookUrlRules.Parse("url", atCap, false, out _));
        Assert.Null(WebhookUrlRules.Parse("url", atCap + "a", false, out var problem));
        Assert.Contains("2048", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Http_is_allowed_only_with_private_networks()
    {
        Assert.NotNull(WebhookUrlRules.Parse("url", "http://127.0.0.1:5000/hook", allowPrivateNetworks: true, out _));
        Assert.Null(WebhookUrlRules.Parse("url", "ftp://127.0.0.1/", allowPrivateNetworks: true, out var problem));
        Assert.Contains("https or http", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://127.0.0.1/", "127.0.0.1")]
    [InlineData("https://0x7f.1/", "127.0.0.1")]
    [InlineData("https://2130706433/", "127.0.0.1")]
    [InlineData("https://[::1]:8443/", "::1")]
    [InlineData("https://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1")]
    public void Ip_literals_are_read_as_the_address_they_name(string url, string address)
    {
        var uri = WebhookUrlRules.Parse("url", url, false, out _)!;

        Assert.Equal(IPAddress.Parse(address), WebhookUrlRules.LiteralAddress(uri));
    }

    [Fact]
    public void A_dns_name_is_not_a_literal()
    {
        Assert.Null(WebhookUrlRules.LiteralAddress(new Uri("https://hooks.example.com/")));
        Assert.Null(WebhookUrlRules.LiteralAddress(new Uri("https://localhost/")));
    }

    [Fact]
    public void Every_address_must_be_public()
    {
        var publicOne = IPAddress.Parse("93.184.215.14");
        var metadata = IPAddress.Parse("169.254.169.254");

        Assert.Null(WebhookUrlRules.RefusedAddress([publicOne], allowPrivateNetworks: false));
        var refusal = WebhookUrlRules.RefusedAddress([publicOne, metadata], allowPrivateNetworks: false);
        Assert.Equal("169.254.169.254 is link-local and cloud metadata (169.254.0.0/16)", refusal);
        Assert.Null(WebhookUrlRules.RefusedAddress([publicOne, metadata], allowPrivateNetworks: true));
    }

    [Fact]
    public void Refusals_are_invalid_argument_with_their_own_reason_and_the_field()
    {
        var refused = WebhookUrlRules.Refused("url", "internal.example", "10.0.0.1 is private (10.0.0.0/8)");
        var unresolvable = WebhookUrlRules.Unresolvable("url", "nowhere.invalid", "no such host");

        foreach (var error in new[] { refused, unresolvable })
        {
            Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
            Assert.Equal("WEBHOOK_URL_REFUSED", error.Reason);
            Assert.Equal("url", Assert.Single(error.Violations).Field);
        }
        Assert.Contains("internal.example resolves to 10.0.0.1 is private (10.0.0.0/8)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("'nowhere.invalid' could not be resolved (no such host)", unresolvable.Message, StringComparison.Ordinal);
    }
}
