using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Domain.Webhooks;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Webhooks;

/// <summary>
/// The production default, <c>GrpcSync:Webhooks:AllowPrivateNetworks=false</c>: only https, and only hosts
/// whose every address is public. Refusals are 400 <c>WEBHOOK_URL_REFUSED</c> naming the rule; nothing is stored.
/// </summary>
public abstract class WebhookUrlPolicyTests(WebhookApiServerFixture server)
{
    public sealed class OnSqlite(SqliteStrictWebhookApiServer server) : WebhookUrlPolicyTests(server), IClassFixture<SqliteStrictWebhookApiServer>;

    public sealed class OnPostgres(PostgresStrictWebhookApiServer server) : WebhookUrlPolicyTests(server), IClassFixture<PostgresStrictWebhookApiServer>;

    /// <summary>A public address (TEST-NET ranges are refused, so a real one): never contacted by these tests.</summary>
    private const string PublicUrl = "https://93.184.215.14/grpcsync";

    protected WebhookApiServerFixture Server { get; } = server;

    [Theory, BothTransports]
    public async Task Http_is_refused(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        var error = (await admin.CreateWebhook(transport, "http://93.184.215.14/grpcsync")).Fails(StatusCode.InvalidArgument);

        Assert.Contains("must use https, not 'http'", error.Violation("url"), StringComparison.Ordinal);
    }

    [Theory, BothTransports]
    public async Task Non_public_address_literals_are_refused_naming_the_rule(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        foreach (var (url, rule) in new[]
        {
            ("https://127.0.0.1/hook", "loopback (127.0.0.0/8)"),
            ("https://127.1/hook", "loopback (127.0.0.0/8)"),                 // short form, normalised by the URL parser
            ("https://2130706433/hook", "loopback (127.0.0.0/8)"),            // 127.0.0.1 as one number
            ("https://10.1.2.3/hook", "private (10.0.0.0/8)"),
            ("https://172.16.5.4:8443/hook", "private (172.16.0.0/12)"),
            ("https://192.168.1.10/hook", "private (192.168.0.0/16)"),
            ("https://169.254.169.254/latest/meta-data", "link-local and cloud metadata (169.254.0.0/16)"),
            ("https://100.64.0.1/hook", "carrier-grade NAT (100.64.0.0/10)"),
            ("https://0.0.0.0/hook", "'this network' (0.0.0.0/8)"),
            ("https://[::1]/hook", "loopback (::1)"),
            ("https://[fd00::1]/hook", "unique local (fc00::/7)"),
            ("https://[fe80::1]/hook", "link-local (fe80::/10)"),
            ("https://[::ffff:169.254.169.254]/hook", "link-local and cloud metadata (169.254.0.0/16)"),
        })
        {
            var error = (await admin.CreateWebhook(transport, url)).Fails(StatusCode.InvalidArgument);
            Assert.True(error.Reason() == WebhookUrlRules.RefusedReason, $"{url}: {error.Reason()} {error.Message}");
            Assert.True(error.Message.Contains(rule, StringComparison.Ordinal), $"{url}: {error.Message}");
            Assert.Contains(rule, error.Violation("url"), StringComparison.Ordinal);
        }
        var literal = (await admin.CreateWebhook(transport, "https://127.0.0.1/hook")).Fails(StatusCode.InvalidArgument);
        Assert.StartsWith("url refused: 127.0.0.1 is loopback (127.0.0.0/8);", literal.Message, StringComparison.Ordinal);
        Assert.Empty((await admin.ListWebhooks(Transport.Grpc)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task A_name_that_resolves_to_loopback_is_refused(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        var error = (await admin.CreateWebhook(transport, "https://localhost/hook")).Fails(StatusCode.InvalidArgument);

        Assert.Equal(WebhookUrlRules.RefusedReason, error.Reason());
        Assert.Matches(@"localhost resolves to (127\.0\.0\.1|::1), which is loopback", error.Message);
    }

    [Theory, BothTransports]
    public async Task An_unresolvable_host_is_refused_clearly(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        var error = (await admin.CreateWebhook(transport, "https://no-such-host.invalid/hook")).Fails(StatusCode.InvalidArgument);

        Assert.Equal(WebhookUrlRules.RefusedReason, error.Reason());
        Assert.Contains("'no-such-host.invalid' could not be resolved", error.Violation("url"), StringComparison.Ordinal);
    }

    [Theory, BothTransports]
    public async Task A_public_address_is_accepted_and_a_patch_to_a_private_one_refused(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        var webhook = (await admin.CreateWebhook(transport, PublicUrl)).Ok();
        var error = (await admin.UpdateWebhook(transport, webhook.Id, url: "https://192.168.0.1/hook", description: "not applied")).Fails(StatusCode.InvalidArgument);

        Assert.Equal(PublicUrl, webhook.Url);
        Assert.Equal(WebhookUrlRules.RefusedReason, error.Reason());
        var unchanged = (await admin.GetWebhook(transport, webhook.Id)).Ok();
        Assert.Equal((PublicUrl, ""), (unchanged.Url, unchanged.Description));
        Assert.Equal("https://93.184.215.15/v2", (await admin.UpdateWebhook(transport, webhook.Id, url: "https://93.184.215.15/v2")).Ok().Url);
    }
}
