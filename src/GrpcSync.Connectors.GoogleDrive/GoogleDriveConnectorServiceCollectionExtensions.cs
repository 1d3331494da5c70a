using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcSync.Connectors.GoogleDrive;

public static class GoogleDriveConnectorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Google Drive connector as an <see cref="IConnector"/>, with its options bound from
    /// <see cref="GoogleDriveConnectorOptions.SectionName"/>, unless <c>Enabled</c> is false there.
    /// </summary>
    public static IServiceCollection AddGoogleDriveConnector(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(GoogleDriveConnectorOptions.SectionName);
        if (!section.GetValue(nameof(GoogleDriveConnectorOptions.Enabled), true))
        {
            return services; // the operator turned the integration off (or a test host plays it with its own connector)
        }
        services.Configure<GoogleDriveConnectorOptions>(configuration.GetSection(GoogleDriveConnectorOptions.SectionName));
        services.AddSingleton(sp => new GoogleDriveConnector(sp.GetRequiredService<IOptions<GoogleDriveConnectorOptions>>().Value));
        services.AddSingleton<IConnector>(sp => sp.GetRequiredService<GoogleDriveConnector>());
        return services;
    }
}
