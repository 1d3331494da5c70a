using GrpcSync.Connectors.Filesystem;
using GrpcSync.Engine;
using GrpcSync.Server.Api;
using Microsoft.AspNetCore.DataProtection;

namespace GrpcSync.Server.Hosting;

public static class EngineRegistration
{
    /// <summary>The sync engine (unless GrpcSync:Engine:Enabled=false), the built-in connectors, and secret access.</summary>
    public static IServiceCollection AddGrpcSyncEngineHost(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ICredentialSecrets, DataProtectionSecrets>();
        services.AddFilesystemConnector(configuration);
        services.AddGrpcSyncEngine(configuration);
        services.AddSingleton<RecordsApi>();
        return services;
    }
}

/// <summary>Decrypts credential secrets for connectors (the engine and content downloads) with Data Protection.</summary>
public sealed class DataProtectionSecrets(IDataProtectionProvider protection) : ICredentialSecrets
{
    private readonly IDataProtector _protector = protection.CreateProtector(CredentialApi.SecretPurpose);

    public string Reveal(string protectedSecret) => _protector.Unprotect(protectedSecret);
}
