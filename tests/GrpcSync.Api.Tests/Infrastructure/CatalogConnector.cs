using System.Runtime.CompilerServices;
using System.Text.Json;
using GrpcSync.Connectors;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// A connector that only exists so the API accepts Syncs of an integration: it names the integration
/// and its pipelines, accepts any JSON-object configuration, and has no records. The API tests use it
/// for the integrations of their scenarios (googledrive, salesforce, hubspot), which have no real
/// connector in this server.
/// </summary>
public sealed class CatalogConnector(string integration, params string[] pipelines) : IConnector
{
    /// <summary>The test integrations and the pipelines the scenarios use.</summary>
    public static IEnumerable<CatalogConnector> TestIntegrations() =>
    [
        new("googledrive", "files", "folders", "contacts"),
        new("salesforce", "contacts", "accounts"),
        new("hubspot", "contacts", "companies"),
    ];

    public string Integration { get; } = integration;

    public IReadOnlyCollection<string> Pipelines { get; } = pipelines;

    public IReadOnlyList<ConfigurationProblem> ValidateConfiguration(string pipeline, JsonElement configuration) =>
        configuration.ValueKind is JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null
            ? []
            : [new ConfigurationProblem("configuration", "must be a JSON object.")];

    public IAsyncEnumerable<SourcePage> EnumerateAsync(SourceContext context, CancellationToken ct) => Nothing(ct);

    public IAsyncEnumerable<SourcePage> ChangesSinceAsync(SourceContext context, string? cursor, CancellationToken ct) => Nothing(ct);

    public Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, CancellationToken ct) =>
        Task.FromException<SourceContent>(new PermanentSourceException("NOT_FOUND", $"{Integration} has no records."));

    private static async IAsyncEnumerable<SourcePage> Nothing([EnumeratorCancellation] CancellationToken ct)
    {
        await Task.CompletedTask;
        ct.ThrowIfCancellationRequested();
        yield break;
    }
}
