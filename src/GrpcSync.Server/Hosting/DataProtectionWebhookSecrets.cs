using GrpcSync.Engine.Webhooks;
using Microsoft.AspNetCore.DataProtection;

namespace GrpcSync.Server.Hosting;

/// <summary>Decrypts webhook endpoint secrets for the delivery workers with Data Protection.</summary>
public sealed class DataProtectionWebhookSecrets(IDataProtectionProvider protection) : IWebhookSecrets
{
    /// <summary>The purpose the management API protects secrets with (must match it exactly).</summary>
    public const string Purpose = "GrpcSync.Webhooks.Secret.v1";

    private readonly IDataProtector _protector = protection.CreateProtector(Purpose);

    public string Reveal(string protectedSecret) => _protector.Unprotect(protectedSecret);
}
