namespace GrpcSync.Connectors.Filesystem;

// Download: the bytes of one file record (all, or one range by seeking), and the verified open that hashing uses too.
public sealed partial class FilesystemConnector
{
    private SourceContent Download(SourceContext context, string externalId, ByteRange? range)
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
        {
            // Never open FIFOs or devices; an empty file has no byte a range could select.
            return range is null
                ? new SourceContent(contentType, new MemoryStream([], writable: false)) { Length = 0 }
                : throw new RangeNotSatisfiableException(0);
        }

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
        if (stream is null)
            throw new PermanentSourceException("FORBIDDEN", "The file resolves to a location outside the account root.");
        return Slice(stream, contentType, range);

        static PermanentSourceException NotFound() => new("NOT_FOUND", "The file no longer exists.");
    }

    /// <summary>
    /// The opened file as content: the length it has now (bytes appended while it is read are not served, so the
    /// length told the caller holds), or one range of it, reached by seeking.
    /// </summary>
    private static SourceContent Slice(FileStream stream, string contentType, ByteRange? range)
    {
        try
        {
            var length = stream.Length;
            if (range is not { } asked)
                return new SourceContent(contentType, new BoundedReadStream(stream, length)) { Length = length };
            if (asked.Resolve(length) is not { } span)
                throw new RangeNotSatisfiableException(length);
            var (first, last) = span;
            stream.Seek(first, SeekOrigin.Begin);
            return new SourceContent(contentType, new BoundedReadStream(stream, last - first + 1))
            {
                Length = last - first + 1,
                Range = new ServedRange(first, last, length),
            };
        }
        catch
        {
            stream.Dispose();
            throw;
        }
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
}
