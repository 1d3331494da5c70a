using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcSync.Connectors.Filesystem.Tests;

public sealed class RegistrationTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task The_connector_registers_under_its_integration_name_with_allowed_roots_from_configuration()
    {
        _tree.WriteSampleTree();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["GrpcSync:Connectors:Filesystem:AllowedRoots:0"] = _tree.Allowed })
            .Build();
        using var services = new ServiceCollection().AddFilesystemConnector(configuration).BuildServiceProvider();

        var registry = new ConnectorRegistry(services.GetServices<IConnector>());

        Assert.True(registry.TryGet("filesystem", out var connector));
        var records = await connector.EnumerateAsync(_tree.Context(), default).RecordsAsync();
        Assert.Contains(records, r => r.ExternalId == "docs/a.txt");
    }
}
