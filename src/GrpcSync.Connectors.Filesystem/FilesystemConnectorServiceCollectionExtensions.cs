using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcSync.Connectors.Filesystem;

public static class FilesystemConnectorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the filesystem connector as an <see cref="IConnector"/>, with its options bound from
    /// <see cref="FilesystemConnectorOptions.SectionName"/>.
    /// </summary>
    public static IServiceCollection AddFilesystemConnector(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<FilesystemConnectorOptions>(configuration.GetSection(FilesystemConnectorOptions.SectionName));
        services.AddSingleton<IConnector>(sp =>
            new FilesystemConnector(sp.GetRequiredService<IOptions<FilesystemConnectorOptions>>()));
        return services;
    }
}
