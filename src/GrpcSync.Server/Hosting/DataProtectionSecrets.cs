using GrpcSync.Engine.Credentials;
using GrpcSync.Server.Api;
using Microsoft.AspNetCore.DataProtection;

namespace GrpcSync.Server.Hosting;

/// <summary>Decrypts credential secrets for connectors (the engine and content downloads), and encrypts refreshed ones, with Data Protection.</summary>
public sealed class DataProtectionSecrets(IDataProtectionProvider protection) : ICredentialSecrets
{
    private readonly IDataProtector _protector = protection.CreateProtector(CredentialApi.SecretPurpose);

    public string Reveal(string protectedSecret) => _protector.Unprotect(protectedSecret);

    public string Protect(string secret) => _protector.Protect(secret);
}
