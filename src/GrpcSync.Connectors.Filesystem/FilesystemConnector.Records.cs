using System.Globalization;
using System.Text.Json.Nodes;

namespace GrpcSync.Connectors.Filesystem;

// Records: a file's or folder's fields (the files pipeline's schema) and its fingerprint.
public sealed partial class FilesystemConnector
{
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

    private static string FormatTimestamp(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
