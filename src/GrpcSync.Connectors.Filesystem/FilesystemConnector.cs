using System.Text.Json;
using Microsoft.Extensions.Options;

namespace GrpcSync.Connectors.Filesystem;

/// <summary>
/// The <c>filesystem</c> integration (pipeline <c>files</c>): files and folders below a directory on
/// this server.
/// <list type="bullet">
/// <item>The credential's secret names the account root: an absolute path, or <c>{"root":"/abs/path"}</c>.
/// Its real path (symbolic links resolved) must lie in one of the operator's
/// <see cref="FilesystemConnectorOptions.AllowedRoots"/>.</item>
/// <item>The Sync's configuration may narrow the sync to <c>{"folder":"relative/path"}</c> inside the root.</item>
/// <item>Record ids are paths relative to the account root with '/' separators; folders are records too.
/// Symbolic links are never followed (they produce no record and cannot be downloaded); hidden files are included.</item>
/// <item>Cursors are unix milliseconds (see <see cref="ChangesSinceAsync"/>).</item>
/// </list>
/// </summary>
// This file is the IConnector surface; each concern has its part (FilesystemConnector.Walk, .Records,
// .Hashing, .Download, .Credentials, .Configuration), mirrored by the test files; a new connector follows the layout.
public sealed partial class FilesystemConnector : IConnector
{
    public const string IntegrationName = "filesystem";
    public const string FilesPipeline = "files";

    /// <summary>Most records per page.</summary>
    public const int PageSize = 500;

    /// <summary>Files larger than this get no <c>hash</c> (reading them on every change would be too costly).</summary>
    public const long MaxHashedFileSize = 256L * 1024 * 1024;

    /// <summary>
    /// A cursor never goes past the walk's start time minus this margin, so files with future
    /// timestamps cannot blind incremental runs, and coarse (1–2 s) timestamp granularity or
    /// writes during the walk are not missed.
    /// </summary>
    internal static readonly TimeSpan CursorSafetyMargin = TimeSpan.FromSeconds(2);

    private readonly string[] _allowedRoots;
    private readonly TimeProvider _time;

    public FilesystemConnector(FilesystemConnectorOptions options)
        : this(options, TimeProvider.System)
    {
    }

    public FilesystemConnector(IOptions<FilesystemConnectorOptions> options)
        : this(options.Value, TimeProvider.System)
    {
    }

    internal FilesystemConnector(FilesystemConnectorOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _allowedRoots = [.. options.AllowedRoots ?? []];
        _time = time;
    }

    public string Integration => IntegrationName;

    public IReadOnlyCollection<string> Pipelines { get; } = [FilesPipeline];

    /// <summary>
    /// Accepts an absent (undefined or JSON null) configuration or an object whose only key is an
    /// optional <c>folder</c>: a '/'-separated path relative to the account root.
    /// </summary>
    public IReadOnlyList<ConfigurationProblem> ValidateConfiguration(string pipeline, JsonElement configuration)
    {
        return SinglePipeline.Validate(IntegrationName, FilesPipeline, pipeline, ParseConfiguration(configuration, out _));
    }

    /// <summary>
    /// Every file and folder under the sync root (the account root, or the configured folder), in
    /// deterministic order (depth first, names in ordinal order), at most <see cref="PageSize"/> per page.
    /// Only the last page carries a cursor (see <see cref="ChangesSinceAsync"/> for its meaning).
    /// </summary>
    public IAsyncEnumerable<SourcePage> EnumerateAsync(SourceContext context, CancellationToken ct) =>
        WalkAsync(context, since: null, ct);

    /// <summary>
    /// Files and folders created or changed since <paramref name="cursor"/>, found from metadata only:
    /// entries whose last-write time is at or after the cursor (at, so same-millisecond writes are not
    /// missed; the engine drops unchanged fingerprints), plus every direct child of a folder whose own
    /// last-write time is at or after the cursor (catches entries moved or copied in with an old
    /// timestamp). Deletions are not reported; FULL runs reconcile them. Entries inside a folder that
    /// was moved in whole keep their old timestamps and are only found by the next FULL run.
    /// <para>
    /// The cursor is a unix time in milliseconds (decimal text). A null, empty or unparsable cursor means
    /// "since the beginning": every entry is returned. The returned cursor (last page) is
    /// <c>max(previous cursor, min(newest last-write seen + 1 ms, walk start − 2 s))</c>: an unchanged
    /// tree yields nothing, and future timestamps cannot move the cursor past the clock.
    /// </para>
    /// </summary>
    public IAsyncEnumerable<SourcePage> ChangesSinceAsync(SourceContext context, string? cursor, CancellationToken ct) =>
        WalkAsync(context, ParseCursor(cursor), ct);

    /// <summary>
    /// The bytes of a file record. The id must be a '/'-separated path relative to the account root,
    /// inside the sync root, with no symbolic link on the way. Failures are
    /// <see cref="PermanentSourceException"/>s with code <c>NOT_FOUND</c> (missing, or a folder) or
    /// <c>FORBIDDEN</c> (invalid id, symbolic link, outside the sync root, unreadable). A range is served by
    /// seeking; one past the end is <see cref="RangeNotSatisfiableException"/>.
    /// </summary>
    public Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, CancellationToken ct)
    {
        try
        {
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(Download(context, externalId, range));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<SourceContent>(ct);
        }
        catch (Exception e)
        {
            return Task.FromException<SourceContent>(e);
        }
    }
}
