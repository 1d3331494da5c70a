using GrpcSync.Connectors.Filesystem;
using GrpcSync.Connectors.GoogleDrive;
using GrpcSync.Connectors.S3;
using GrpcSync.Engine;
using GrpcSync.Engine.Credentials;
using GrpcSync.Engine.Webhooks;

namespace GrpcSync.Server.Hosting;

public static class EngineRegistration
{
    /// <summary>The sync engine (unless GrpcSync:Engine:Enabled=false), the built-in connectors, and secret access.</summary>
    public static IServiceCollection AddGrpcSyncEngineHost(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ICredentialSecrets, DataProtectionSecrets>();
        services.AddSingleton<IWebhookSecrets, DataProtectionWebhookSecrets>();
        services.AddFilesystemConnector(configuration);
        services.AddS3Connector(configuration);
        services.AddGoogleDriveConnector(configuration);
        services.AddGrpcSyncEngine(configuration);
        return services;
    }
}
