using GrpcSync.Engine.Credentials;

namespace GrpcSync.SchedulerBench;

/// <summary>The bench stores secrets in plain text; the server uses Data Protection here (not measured).</summary>
internal sealed class PassThroughSecrets : ICredentialSecrets
{
    public string Reveal(string protectedSecret) => protectedSecret;
}
