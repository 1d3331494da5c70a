namespace GrpcSync.Engine.Configuration;

/// <summary>Settings of webhooks (configuration section <c>GrpcSync:Webhooks</c>), for the API and for delivery.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "GrpcSync:Webhooks";

    /// <summary>
    /// Allow <c>http</c> URLs and private, loopback and other non-public addresses (local receivers in
    /// development and tests). Off by default: a webhook URL is a request the server makes on a caller's
    /// behalf, and must not reach the server's own network (SSRF).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>What is wrong with these settings (empty when valid); checked at startup.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        return problems;
    }
}
