using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GrpcSync.Connectors.S3;

public static class S3ConnectorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the S3 connector as an <see cref="IConnector"/>, with its options bound from
    /// <see cref="S3ConnectorOptions.SectionName"/>.
    /// </summary>
    public static IServiceCollection AddS3Connector(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<S3ConnectorOptions>(configuration.GetSection(S3ConnectorOptions.SectionName));
        services.AddSingleton<S3Connector>(sp => new S3Connector(sp.GetRequiredService<IOptions<S3ConnectorOptions>>()));
        services.AddSingleton<IConnector>(sp => sp.GetRequiredService<S3Connector>());
        return services;
    }
}
