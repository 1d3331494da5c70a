using System.Text.Json;

namespace GrpcSync.Connectors;

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
    /// <see cref="SourcePage.Cursor"/>; null = since the beginning). A connector with a change feed reports deletions
    /// in <see cref="SourcePage.Deleted"/>; one without need not report them (the next FULL run reconciles).
    /// </summary>
    IAsyncEnumerable<SourcePage> ChangesSinceAsync(SourceContext context, string? cursor, CancellationToken ct);

    /// <summary>
    /// The bytes of a file record, read live from the source and streamed (never buffered whole). With a
    /// <paramref name="range"/>, the source serves only those bytes (a seek, a ranged request), says which in
    /// <see cref="SourceContent.Range"/>, and throws <see cref="RangeNotSatisfiableException"/> when the range selects
    /// none; a source that cannot serve ranges returns the whole content with <see cref="SourceContent.Range"/> null.
    /// </summary>
    Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, CancellationToken ct);

    /// <summary>
    /// <see cref="DownloadAsync(SourceContext, string, ByteRange?, CancellationToken)"/> in another representation, for
    /// sources whose documents have no bytes of their own (Google Docs are exported, e.g. <c>pdf</c>, <c>docx</c>).
    /// <paramref name="format"/> null is the plain download. A connector that exports nothing refuses any format with
    /// <see cref="PermanentSourceException"/> <c>FORMAT_UNSUPPORTED</c> (the API answers 400), as this default does.
    /// </summary>
    Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, string? format, CancellationToken ct) =>
        format is null
            ? DownloadAsync(context, externalId, range, ct)
            : throw new PermanentSourceException("FORMAT_UNSUPPORTED", $"The {Integration} integration serves content as it is stored; it cannot convert it to another format.");
}
