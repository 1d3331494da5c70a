using System.Globalization;
using System.Runtime.CompilerServices;

namespace GrpcSync.Connectors.Filesystem;

// Walking: the depth-first listing below the sync root, and the cursor of ChangesSinceAsync.
public sealed partial class FilesystemConnector
{
    private static readonly EnumerationOptions ListOptions = new()
    {
        AttributesToSkip = 0, // hidden and system entries are included
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
        MatchType = MatchType.Simple,
    };

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

    private static long? ParseCursor(string? cursor) =>
        long.TryParse(cursor, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms) ? ms : null;

    private static long ToUnixMs(DateTime utc) =>
        new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
}
