namespace GrpcSync.Connectors;

/// <summary>The connectors of this process, by integration name.</summary>
public sealed class ConnectorRegistry(IEnumerable<IConnector> connectors)
{
    private readonly Dictionary<string, IConnector> _byIntegration =
        connectors.ToDictionary(c => c.Integration, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Integrations => _byIntegration.Keys;

    public bool TryGet(string integration, out IConnector connector) => _byIntegration.TryGetValue(integration, out connector!);
}
