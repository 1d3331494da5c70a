using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcSync.Engine.Connectors;
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
public sealed class FilesystemConnector : IConnector
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

    private const string FolderKey = "folder";
    private static readonly string[] AllowedConfigurationKeys = [FolderKey];
    private const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private const int HashBufferSize = 128 * 1024;
    private const int HashAttempts = 3;

    private static readonly EnumerationOptions ListOptions = new()
    {
        AttributesToSkip = 0, // hidden and system entries are included
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
        MatchType = MatchType.Simple,
    };

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
        var problems = new List<ConfigurationProblem>();
        if (pipeline != FilesPipeline)
            problems.Add(new ConfigurationProblem("pipeline", $"The {IntegrationName} integration only serves the '{FilesPipeline}' pipeline."));
        problems.AddRange(ParseConfiguration(configuration, out _));
        return problems;
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
    /// <c>FORBIDDEN</c> (invalid id, symbolic link, outside the sync root, unreadable).
    /// </summary>
    public Task<SourceContent> DownloadAsync(SourceContext context, string externalId, CancellationToken ct)
    {
        try
        {
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(Download(context, externalId));
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

    // ---------------------------------------------------------------- walking

    private sealed record Scope(string AccountRoot, string SyncRoot, string SyncRootId);

    private sealed class Frame(string idPrefix, string parentFolderId, long lastWriteMs, List<FileSystemInfo> children)
    {
        public string IdPrefix { get; } = idPrefix;
        public string ParentFolderId { get; } = parentFolderId;
        public long LastWriteMs { get; } = lastWriteMs;
        public List<FileSystemInfo> Children { get; } = children;
        public int Next { get; set; }
    }

    private sealed record Entry(FileSystemInfo Info, string ExternalId, string ParentFolderId, long LastWriteMs, long ParentLastWriteMs);

    private async IAsyncEnumerable<SourcePage> WalkAsync(SourceContext context, long? since, [EnumeratorCancellation] CancellationToken ct)
    {
        var scope = ResolveScope(context);
        var walkStartMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var rootWriteMs = ToUnixMs(new DirectoryInfo(scope.SyncRoot).LastWriteTimeUtc);
        var newestMs = rootWriteMs;
        var batch = new List<SourceRecord>(PageSize);

        foreach (var entry in Walk(scope, rootWriteMs, ct))
        {
            newestMs = Math.Max(newestMs, entry.LastWriteMs);
            if (since is { } s && entry.LastWriteMs < s && entry.ParentLastWriteMs < s)
                continue;

            var record = await ToRecordAsync(entry, scope, ct).ConfigureAwait(false);
            if (record is null)
                continue;
            if (batch.Count == PageSize)
            {
                yield return new SourcePage(batch, Cursor: null);
                batch = new List<SourceRecord>(PageSize);
            }
            batch.Add(record);
        }

        var next = Math.Min(newestMs + 1, walkStartMs - (long)CursorSafetyMargin.TotalMilliseconds);
        if (since is { } previous)
            next = Math.Max(previous, next);
        yield return new SourcePage(batch, next.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Depth-first, pre-order, ordinal walk below the sync root. Never follows symbolic links.</summary>
    private static IEnumerable<Entry> Walk(Scope scope, long rootWriteMs, CancellationToken ct)
    {
        var stack = new Stack<Frame>();
        stack.Push(new Frame(scope.SyncRootId, parentFolderId: "", rootWriteMs, ListChildren(scope.SyncRoot, isSyncRoot: true)));
        while (stack.TryPeek(out var frame))
        {
            ct.ThrowIfCancellationRequested();
            if (frame.Next >= frame.Children.Count)
            {
                stack.Pop();
                continue;
            }

            var info = frame.Children[frame.Next++];
            var id = frame.IdPrefix.Length == 0 ? info.Name : $"{frame.IdPrefix}/{info.Name}";
            var entry = new Entry(info, id, frame.ParentFolderId, ToUnixMs(info.LastWriteTimeUtc), frame.LastWriteMs);
            yield return entry;
            if (info is DirectoryInfo directory)
                stack.Push(new Frame(id, id, entry.LastWriteMs, ListChildren(directory.FullName, isSyncRoot: false)));
        }
    }

    /// <summary>
    /// The entries of a folder that can become records, sorted ordinally. Symbolic links (and on Windows
    /// other link reparse points) are skipped, as are names with a backslash (not representable as ids).
    /// A folder that vanished or cannot be read contributes nothing (its records count as gone);
    /// for the sync root those are permanent errors.
    /// </summary>
    private static List<FileSystemInfo> ListChildren(string directory, bool isSyncRoot)
    {
        List<FileSystemInfo> children;
        try
        {
            children = [.. new DirectoryInfo(directory).EnumerateFileSystemInfos("*", ListOptions).Where(IsRecordCandidate)];
        }
        catch (DirectoryNotFoundException) when (!isSyncRoot)
        {
            return [];
        }
        catch (DirectoryNotFoundException)
        {
            throw new PermanentSourceException("ROOT_NOT_FOUND", "The sync's root folder no longer exists.");
        }
        catch (UnauthorizedAccessException) when (!isSyncRoot)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            throw new PermanentSourceException("ACCESS_DENIED", "The server is not permitted to read the sync's root folder.");
        }
        catch (IOException e)
        {
            throw new TransientSourceException("Listing a folder failed: " + e.Message, e);
        }

        children.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return children;
    }

    private static bool IsRecordCandidate(FileSystemInfo info)
    {
        if (!OperatingSystem.IsWindows() && info.Name.Contains('\\'))
            return false;
        if ((info.Attributes & FileAttributes.ReparsePoint) == 0)
            return true;
        if (!OperatingSystem.IsWindows())
            return false; // on Unix a reparse point is a symbolic link
        try
        {
            return info.LinkTarget is null; // e.g. cloud placeholders are reparse points but plain files
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<SourceRecord?> ToRecordAsync(Entry entry, Scope scope, CancellationToken ct)
    {
        var topLevel = entry.ParentFolderId.Length == 0;
        var name = entry.Info.Name;
        if (entry.Info is DirectoryInfo folder)
        {
            var folderFields = Fields(name, FileMimeTypes.Folder, 0, sha256: null, folder, entry.ParentFolderId);
            return new SourceRecord(entry.ExternalId, folderFields, Fingerprint(isFolder: true, 0, folder.LastWriteTimeUtc, topLevel));
        }

        var file = (FileInfo)entry.Info;
        var (include, sha256) = await HashAsync(file, scope, ct).ConfigureAwait(false);
        if (!include)
            return null;
        var fields = Fields(name, FileMimeTypes.ForFileName(name), file.Length, sha256, file, entry.ParentFolderId);
        return new SourceRecord(entry.ExternalId, fields, Fingerprint(isFolder: false, file.Length, file.LastWriteTimeUtc, topLevel));
    }

    private static JsonObject Fields(string name, string mimeType, long size, string? sha256, FileSystemInfo info, string parentFolderId)
    {
        var updated = info.LastWriteTimeUtc;
        var created = info.CreationTimeUtc;
        // No birth time and nothing better: fall back to the last write.
        if (created <= DateTime.FromFileTimeUtc(0))
            created = updated;

        var fields = new JsonObject
        {
            ["name"] = name,
            ["mimeType"] = mimeType,
            ["size"] = size,
        };
        if (sha256 is not null)
            fields["hash"] = new JsonObject { ["sha256"] = sha256 };
        fields["createdAt"] = FormatTimestamp(created);
        fields["updatedAt"] = FormatTimestamp(updated);
        fields["parentFolderId"] = parentFolderId;
        return fields;
    }

    /// <summary>
    /// Size and last-write ticks (folders: "dir" and ticks). Records directly under the sync root get a
    /// ":top" suffix because their <c>parentFolderId</c> is "" there, so changing the configured folder
    /// rewrites them.
    /// </summary>
    private static string Fingerprint(bool isFolder, long size, DateTime lastWriteUtc, bool topLevel)
    {
        var core = isFolder
            ? string.Create(CultureInfo.InvariantCulture, $"dir:{lastWriteUtc.Ticks}")
            : string.Create(CultureInfo.InvariantCulture, $"{size}:{lastWriteUtc.Ticks}");
        return topLevel ? core + ":top" : core;
    }

    /// <summary>
    /// SHA-256 of a file, with its metadata refreshed to match what was read. Returns include=false when
    /// the file vanished, cannot be read or turned out to be outside the root (a swapped link).
    /// Empty files are never opened (FIFOs and devices report size 0, and opening one could block).
    /// Files above <see cref="MaxHashedFileSize"/>, or still changing after a few attempts, get no hash.
    /// </summary>
    private static async Task<(bool Include, string? Sha256)> HashAsync(FileInfo file, Scope scope, CancellationToken ct)
    {
        for (var attempt = 0; attempt < HashAttempts; attempt++)
        {
            var length = file.Length;
            var lastWrite = file.LastWriteTimeUtc;
            if (length > MaxHashedFileSize)
                return (true, null);
            if (length == 0)
                return (true, EmptySha256);

            string sha256;
            try
            {
                await using var stream = OpenVerified(file.FullName, scope.AccountRoot, FileOptions.Asynchronous | FileOptions.SequentialScan);
                if (stream is null)
                    return (false, null);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[HashBufferSize];
                int read;
                while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    hash.AppendData(buffer, 0, read);
                sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                return (false, null);
            }
            catch (IOException e)
            {
                throw new TransientSourceException("Reading a file failed: " + e.Message, e);
            }

            file.Refresh();
            if (!file.Exists)
                return (false, null);
            if (file.Length == length && file.LastWriteTimeUtc == lastWrite)
                return (true, sha256);
        }
        return (true, null);
    }

    /// <summary>
    /// Opens a file read-only (sharing read/write/delete) and, where the platform can tell, checks the
    /// opened file really lies under <paramref name="root"/>. Returns null when it does not.
    /// </summary>
    private static FileStream? OpenVerified(string path, string root, FileOptions options)
    {
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = options,
        });
        var opened = FilesystemPaths.OpenedPath(stream.SafeFileHandle);
        if (opened is not null && !FilesystemPaths.IsUnder(opened, root))
        {
            stream.Dispose();
            return null;
        }
        return stream;
    }

    // ---------------------------------------------------------------- download

    private SourceContent Download(SourceContext context, string externalId)
    {
        ArgumentNullException.ThrowIfNull(externalId);
        if (FilesystemPaths.CheckRelative(externalId) is not null)
            throw new PermanentSourceException("FORBIDDEN", "The file id is not a valid path relative to the account root.");

        var scope = ResolveScope(context);
        var path = FilesystemPaths.JoinRelative(scope.AccountRoot, externalId);
        if (!FilesystemPaths.IsUnder(path, scope.SyncRoot))
            throw new PermanentSourceException("FORBIDDEN", "The file is outside the sync's folder.");

        // Walk the components without following anything: a symbolic link anywhere is refused.
        var current = scope.AccountRoot;
        FileSystemInfo info = new DirectoryInfo(current);
        foreach (var segment in externalId.Split('/'))
        {
            current = Path.Join(current, segment);
            info = new FileInfo(current);
            var attributes = info.Attributes;
            if ((int)attributes == -1)
                throw NotFound();
            if ((attributes & FileAttributes.ReparsePoint) != 0 && info.LinkTarget is not null)
                throw new PermanentSourceException("FORBIDDEN", "The file id designates a symbolic link, which is not served.");
        }
        if ((info.Attributes & FileAttributes.Directory) != 0)
            throw new PermanentSourceException("NOT_FOUND", "The id designates a folder, which has no content.");

        var contentType = FileMimeTypes.ForFileName(info.Name);
        if (((FileInfo)info).Length == 0)
            return new SourceContent(contentType, new MemoryStream([], writable: false)); // never open FIFOs or devices

        FileStream? stream;
        try
        {
            stream = OpenVerified(current, scope.AccountRoot, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw NotFound();
        }
        catch (UnauthorizedAccessException)
        {
            throw new PermanentSourceException("FORBIDDEN", "The server is not permitted to read this file.");
        }
        catch (IOException e)
        {
            throw new TransientSourceException("Opening the file failed: " + e.Message, e);
        }
        return stream is null
            ? throw new PermanentSourceException("FORBIDDEN", "The file resolves to a location outside the account root.")
            : new SourceContent(contentType, stream);

        static PermanentSourceException NotFound() => new("NOT_FOUND", "The file no longer exists.");
    }

    // ---------------------------------------------------------------- credential and configuration

    /// <summary>The real account root and the real sync root (configured folder) for a run.</summary>
    private Scope ResolveScope(SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Pipeline != FilesPipeline)
            throw new PermanentSourceException("UNSUPPORTED_PIPELINE", $"The {IntegrationName} integration only serves the '{FilesPipeline}' pipeline.");
        var problems = ParseConfiguration(context.Configuration, out var folder);
        if (problems.Count > 0)
            throw new PermanentSourceException("INVALID_CONFIGURATION", $"{problems[0].Field} {problems[0].Description}");

        var accountRoot = ResolveAccountRoot(context.Secret);
        if (folder is null)
            return new Scope(accountRoot, accountRoot, "");

        (string Path, bool Exists) resolved;
        try
        {
            resolved = FilesystemPaths.Resolve(FilesystemPaths.JoinRelative(accountRoot, folder));
        }
        catch (SymbolicLinkLoopException)
        {
            throw new PermanentSourceException("CREDENTIAL_REJECTED", $"The configured folder '{folder}' cannot be resolved (symbolic link loop).");
        }
        catch (UnauthorizedAccessException)
        {
            throw new PermanentSourceException("ACCESS_DENIED", $"The server is not permitted to read the configured folder '{folder}'.");
        }
        catch (IOException e)
        {
            throw new TransientSourceException("Resolving the configured folder failed: " + e.Message, e);
        }

        if (!FilesystemPaths.IsUnder(resolved.Path, accountRoot))
            throw new PermanentSourceException("CREDENTIAL_REJECTED", $"The configured folder '{folder}' resolves to a location outside the account root.");
        if (!resolved.Exists)
            throw new PermanentSourceException("ROOT_NOT_FOUND", $"The configured folder '{folder}' no longer exists.");
        if (!Directory.Exists(resolved.Path))
            throw new PermanentSourceException("ROOT_NOT_FOUND", $"The configured folder '{folder}' is not a folder.");

        var id = string.Equals(resolved.Path, accountRoot, FilesystemPaths.PathComparison)
            ? ""
            : Path.GetRelativePath(accountRoot, resolved.Path).Replace(Path.DirectorySeparatorChar, '/');
        return new Scope(accountRoot, resolved.Path, id);
    }

    /// <summary>
    /// The real path of the credential's root. Rejected (CREDENTIAL_REJECTED) unless it lies in an
    /// allowed root; ROOT_NOT_FOUND only once it is known to lie in one (no probing of other paths).
    /// Messages never name the operator's allowed roots.
    /// </summary>
    private string ResolveAccountRoot(string secret)
    {
        var requested = ParseSecret(secret);
        var allowed = ResolveAllowedRoots();
        if (allowed.Count == 0)
            throw new PermanentSourceException("CREDENTIAL_REJECTED", $"The {IntegrationName} integration is not enabled on this server (no allowed roots are configured).");

        (string Path, bool Exists) root;
        try
        {
            root = FilesystemPaths.Resolve(requested);
        }
        catch (SymbolicLinkLoopException)
        {
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's root directory cannot be resolved (symbolic link loop).");
        }
        catch (UnauthorizedAccessException)
        {
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's root directory cannot be accessed by the server.");
        }
        catch (IOException e)
        {
            throw new TransientSourceException("Resolving the credential's root directory failed: " + e.Message, e);
        }

        if (!allowed.Any(a => FilesystemPaths.IsUnder(root.Path, a)))
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's root directory is not inside a directory this server is allowed to sync.");
        if (!root.Exists)
            throw new PermanentSourceException("ROOT_NOT_FOUND", "The credential's root directory does not exist.");
        if (!Directory.Exists(root.Path))
            throw new PermanentSourceException("ROOT_NOT_FOUND", "The credential's root is not a directory.");
        return root.Path;
    }

    private List<string> ResolveAllowedRoots()
    {
        var resolved = new List<string>(_allowedRoots.Length);
        foreach (var candidate in _allowedRoots)
        {
            if (string.IsNullOrWhiteSpace(candidate) || !Path.IsPathFullyQualified(candidate))
                continue;
            try
            {
                var (path, exists) = FilesystemPaths.Resolve(candidate);
                if (exists && Directory.Exists(path))
                    resolved.Add(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unusable allowed root allows nothing.
            }
        }
        return resolved;
    }

    /// <summary>A plain absolute path, or JSON <c>{"root":"/abs/path"}</c> (other keys ignored); whitespace around it is trimmed.</summary>
    private static string ParseSecret(string? secret)
    {
        var text = secret?.Trim() ?? "";
        string? root = text;
        if (text.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                root = document.RootElement.TryGetProperty("root", out var value) && value.ValueKind == JsonValueKind.String
                    ? value.GetString()
                    : throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's JSON secret needs a string \"root\" property.");
            }
            catch (JsonException)
            {
                throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's secret is neither an absolute path nor valid JSON.");
            }
        }

        if (string.IsNullOrWhiteSpace(root))
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential does not name a root directory.");
        if (root.Contains('\0') || !Path.IsPathFullyQualified(root))
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's root directory must be an absolute path.");
        return root;
    }

    private static List<ConfigurationProblem> ParseConfiguration(JsonElement configuration, out string? folder)
    {
        folder = null;
        var problems = new List<ConfigurationProblem>();
        if (configuration.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            return problems;
        if (configuration.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ConfigurationProblem("configuration", "must be a JSON object."));
            return problems;
        }

        foreach (var property in configuration.EnumerateObject())
        {
            if (property.Name != FolderKey)
            {
                problems.Add(new ConfigurationProblem($"configuration.{property.Name}",
                    $"is not a known setting. Allowed keys: {string.Join(", ", AllowedConfigurationKeys)}."));
                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.String)
            {
                problems.Add(new ConfigurationProblem("configuration.folder", "must be a string: a folder path relative to the account root."));
                continue;
            }

            var value = property.Value.GetString()!;
            if (FilesystemPaths.CheckRelative(value) is { } problem)
                problems.Add(new ConfigurationProblem("configuration.folder", problem + " (e.g. \"projects/2024\")."));
            else
                folder = value;
        }
        return problems;
    }

    private static long? ParseCursor(string? cursor) =>
        long.TryParse(cursor, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms) ? ms : null;

    private static long ToUnixMs(DateTime utc) =>
        new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    private static string FormatTimestamp(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
