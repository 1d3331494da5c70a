using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcSync.Connectors.S3.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public void AddS3Connector_RegistersAnS3Connector_WithItsAllowList()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GrpcSync:Connectors:S3:AllowedEndpoints:0"] = "https://minio.example.com",
        }).Build();
        using var provider = new ServiceCollection().AddS3Connector(configuration).BuildServiceProvider();

        var connector = Assert.IsType<S3Connector>(Assert.Single(provider.GetServices<IConnector>()));

        Assert.Equal("s3", connector.Integration);
        Assert.Equal(["files"], connector.Pipelines);
        using var secret = System.Text.Json.JsonDocument.Parse("""{"accessKeyId":"a","secretAccessKey":"s","region":"r1","endpoint":"https://minio.example.com"}""");
        Assert.Empty(connector.ValidateSecret(secret.RootElement));
    }
}
