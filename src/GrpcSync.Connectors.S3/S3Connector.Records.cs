using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.S3.Model;

namespace GrpcSync.Connectors.S3;

// Records: an object's or a folder's fields (the files pipeline's schema, as the filesystem connector's) and fingerprint.
public sealed partial class S3Connector
{
    /// <summary>
    /// A file record as the listing has it. ListObjectsV2 carries neither Content-Type nor checksums, so
    /// <c>mimeType</c> comes from the key's extension and <c>hash</c> is the ETag only; for new and changed objects
    /// S3Connector.Metadata then reads both with one HEAD each.
    /// </summary>
    private static SourceRecord ObjectRecord(S3Object item, string parentFolderId)
    {
        var name = NameOf(item.Key);
        var etag = (item.ETag ?? "").Trim('"');
        var size = item.Size ?? 0;
        var modified = item.LastModified?.ToUniversalTime() ?? DateTime.UnixEpoch;
        var fields = new JsonObject
        {
            ["name"] = name,
            ["mimeType"] = FileMimeTypes.ForFileName(name),
            ["size"] = size,
            ["hash"] = new JsonObject { ["etag"] = etag },
            ["createdAt"] = FormatTimestamp(modified),
            ["updatedAt"] = FormatTimestamp(modified),
            ["parentFolderId"] = parentFolderId,
        };
        var fingerprint = string.Create(CultureInfo.InvariantCulture, $"{etag}:{size}:{modified.Ticks}");
        return new SourceRecord(item.Key, fields, parentFolderId.Length == 0 ? fingerprint + ":top" : fingerprint);
    }

    /// <summary>
    /// A folder record for a "directory" of keys (id = the prefix with its trailing '/'). S3 has no folder times:
    /// a directory marker object's LastModified is used when there is one, else the first key seen under it.
    /// </summary>
    private static SourceRecord FolderRecord(string folderId, string parentFolderId, DateTime modified)
    {
        var fields = new JsonObject
        {
            ["name"] = NameOf(folderId),
            ["mimeType"] = FileMimeTypes.Folder,
            ["size"] = 0,
            ["createdAt"] = FormatTimestamp(modified),
            ["updatedAt"] = FormatTimestamp(modified),
            ["parentFolderId"] = parentFolderId,
        };
        // Folder times are derived, not the source's: they must not make every run rewrite the folder.
        return new SourceRecord(folderId, fields, parentFolderId.Length == 0 ? "dir:top" : "dir");
    }

    /// <summary>The last segment of a key or folder id ("a/b/c.txt" → "c.txt", "a/b/" → "b").</summary>
    private static string NameOf(string key)
    {
        var trimmed = key.EndsWith('/') ? key[..^1] : key;
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    /// <summary>The folder id of a key's directory ("a/b/c.txt" → "a/b/"), "" at or above the Sync's root folder.</summary>
    private static string ParentOf(string key, string rootFolder)
    {
        var trimmed = key.EndsWith('/') ? key[..^1] : key;
        var slash = trimmed.LastIndexOf('/');
        var parent = slash < 0 ? "" : trimmed[..(slash + 1)];
        return parent.Length <= rootFolder.Length ? "" : parent;
    }

    private static string FormatTimestamp(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
