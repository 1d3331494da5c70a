using GrpcSync.Engine.Credentials;
using GrpcSync.Engine.Webhooks;

namespace GrpcSync.SchedulerBench;

/// <summary>The bench stores secrets in plain text; the server uses Data Protection here (not measured).</summary>
internal sealed class PassThroughSecrets : ICredentialSecrets, IWebhookSecrets
{
    public string Reveal(string protectedSecret) => protectedSecret;

    public string Protect(string secret) => secret;
}
