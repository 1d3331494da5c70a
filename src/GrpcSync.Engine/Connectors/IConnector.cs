using System.Text.Json;
using System.Text.Json.Nodes;

namespace GrpcSync.Engine.Connectors;

/// <summary>
/// One integration (e.g. <c>filesystem</c>). A connector only reads the source: the engine decides
/// what is new, changed or gone, and writes records. Connectors are registered by integration name.
/// </summary>
public interface IConnector
{
    /// <summary>The integration key Syncs name, e.g. <c>filesystem</c>.</summary>
    string Integration { get; }

    /// <summary>The pipelines (synced object types) it serves, e.g. <c>files</c>.</summary>
    IReadOnlyCollection<string> Pipelines { get; }

    /// <summary>
    /// Checks a Sync's configuration at enable time. Returns the problems (field path + description);
    /// empty when valid. Must not touch the source.
    /// </summary>
    IReadOnlyList<ConfigurationProblem> ValidateConfiguration(string pipeline, JsonElement configuration);

    /// <summary>
    /// Every record the credential can see under the configuration, in pages. Used by INITIAL and FULL
    /// runs; records of the Sync that no page returned are deleted afterwards (reconcile).
    /// </summary>
    IAsyncEnumerable<SourcePage> EnumerateAsync(SourceContext context, CancellationToken ct);

    /// <summary>
    /// Records created or changed since <paramref name="cursor"/> (a value of a previous
    /// <see cref="SourcePage.Cursor"/>; null = since the beginning). Need not report deletions.
    /// </summary>
    IAsyncEnumerable<SourcePage> ChangesSinceAsync(SourceContext context, string? cursor, CancellationToken ct);

    /// <summary>The bytes of a file record, read live from the source.</summary>
    Task<SourceContent> DownloadAsync(SourceContext context, string externalId, CancellationToken ct);
}

/// <summary>What a connector reads with: the pipeline, the Sync's configuration and the credential's secret.</summary>
public sealed record SourceContext(string Pipeline, JsonElement Configuration, string Secret);

/// <summary>A problem with a configuration; <see cref="Field"/> is a path such as <c>configuration.folder</c>.</summary>
public sealed record ConfigurationProblem(string Field, string Description);

/// <summary>
/// One page from the source. <see cref="Cursor"/> is where a later <c>ChangesSinceAsync</c> should
/// resume after this page has been stored (null = unchanged).
/// </summary>
public sealed record SourcePage(IReadOnlyList<SourceRecord> Records, string? Cursor);

/// <summary>
/// One record as the source has it. <see cref="Fields"/> follow the pipeline's schema (for files:
/// name, mimeType, size, hash, createdAt, updatedAt, parentFolderId). <see cref="Fingerprint"/>
/// changes whenever the record changes, so unchanged records are not rewritten.
/// </summary>
public sealed record SourceRecord(string ExternalId, JsonObject Fields, string Fingerprint);

/// <summary>Content of a file record.</summary>
public sealed record SourceContent(string ContentType, Stream Content);

/// <summary>A failure that may go away by itself (network, timeouts): the run is retried with backoff.</summary>
public class TransientSourceException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The source asked us to slow down: the Sync shows RATE_LIMITED and resumes after <see cref="RetryAfter"/>.</summary>
public sealed class RateLimitedSourceException(TimeSpan retryAfter, string message) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// A failure that will not go away without a person (credential rejected, configured root gone):
/// the Sync becomes ERRORED with <see cref="Exception.Message"/> as its reason.
/// </summary>
public sealed class PermanentSourceException(string code, string message) : Exception(message)
{
    /// <summary>A stable code, e.g. <c>CREDENTIAL_REJECTED</c> or <c>ROOT_NOT_FOUND</c>.</summary>
    public string Code { get; } = code;
}

/// <summary>The connectors of this process, by integration name.</summary>
public sealed class ConnectorRegistry(IEnumerable<IConnector> connectors)
{
    private readonly Dictionary<string, IConnector> _byIntegration =
        connectors.ToDictionary(c => c.Integration, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Integrations => _byIntegration.Keys;

    public bool TryGet(string integration, out IConnector connector) => _byIntegration.TryGetValue(integration, out connector!);
}
