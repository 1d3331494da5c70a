using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcSync.Connectors.GoogleDrive;

public static class GoogleDriveConnectorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Google Drive connector as an <see cref="IConnector"/>, with its options bound from
    /// <see cref="GoogleDriveConnectorOptions.SectionName"/>.
    /// </summary>
    public static IServiceCollection AddGoogleDriveConnector(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<GoogleDriveConnectorOptions>(configuration.GetSection(GoogleDriveConnectorOptions.SectionName));
        services.AddSingleton(sp => new GoogleDriveConnector(sp.GetRequiredService<IOptions<GoogleDriveConnectorOptions>>().Value));
        services.AddSingleton<IConnector>(sp => sp.GetRequiredService<GoogleDriveConnector>());
        return services;
    }
}
