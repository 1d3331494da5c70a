using System.Globalization;
using System.Text.Json.Nodes;

namespace GrpcSync.Connectors.GoogleDrive;

// Records: a Drive file's fields in Paragon's file schema, and its fingerprint.
public sealed partial class GoogleDriveConnector
{
    /// <summary>The File fields every listing asks for (Drive returns only the fields named).</summary>
    internal const string FileFields = "id,name,mimeType,size,md5Checksum,webViewLink,thumbnailLink,createdTime,modifiedTime,parents,trashed,version";

    /// <summary>
    /// <c>name</c>, <c>mimeType</c> (Drive's own; folders are <see cref="FolderMimeType"/>), <c>size</c> (0 for folders and
    /// Google Docs, which have none), <c>hash {md5}</c> when Drive has one, <c>url</c> (webViewLink), <c>thumbnailUrl</c>,
    /// <c>createdAt</c>, <c>updatedAt</c>, <c>parentFolderId</c> (the first parent's Drive id; "" for a child of the
    /// configured folder, as the other connectors leave the Sync's root unnamed).
    /// </summary>
    internal static SourceRecord ToRecord(DriveFile file, string? rootFolderId)
    {
        var size = long.TryParse(file.Size, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : 0;
        var parent = file.Parents is { Count: > 0 } parents ? parents[0] : "";
        if (parent == rootFolderId)
        {
            parent = "";
        }
        var fields = new JsonObject
        {
            ["name"] = file.Name,
            ["mimeType"] = file.MimeType,
            ["size"] = size,
        };
        if (file.Md5Checksum is { Length: > 0 } md5)
        {
            fields["hash"] = new JsonObject { ["md5"] = md5 };
        }
        fields["url"] = file.WebViewLink;
        fields["thumbnailUrl"] = file.ThumbnailLink;
        fields["createdAt"] = Timestamp(file.CreatedTime);
        fields["updatedAt"] = Timestamp(file.ModifiedTime);
        fields["parentFolderId"] = parent;
        // Thumbnail links are short-lived signed URLs that Drive re-signs: they must not make every run rewrite the record.
        var fingerprint = string.Join('|', file.Version ?? "", Timestamp(file.ModifiedTime) ?? "", file.Md5Checksum ?? "", Invariant(size),
            file.Name, parent, file.MimeType);
        return new SourceRecord(file.Id, fields, fingerprint);
    }

    private static string? Timestamp(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
