using System.Runtime.CompilerServices;

namespace GrpcSync.Connectors.GoogleDrive;

// Changes: INCREMENTAL runs on Drive's changes feed (https://developers.google.com/drive/api/guides/manage-changes).
public sealed partial class GoogleDriveConnector
{
    /// <summary>Most folder levels walked up to decide whether a file lies under the configured folder.</summary>
    private const int MaxFolderDepth = 100;

    /// <summary>
    /// <c>changes.list</c> from <paramref name="cursor"/> (a page token), one source page per feed page, each carrying
    /// the token to resume from: <c>nextPageToken</c> while the feed has more, <c>newStartPageToken</c> on its last page.
    /// A removal (<c>removed: true</c>), a trashed file, and, for a folder configuration, a file no longer under the
    /// folder are deletions; other files are records. Without a cursor (none was stored) the feed starts now.
    /// </summary>
    private async IAsyncEnumerable<SourcePage> ChangesAsync(SourceContext context, string? cursor, [EnumeratorCancellation] CancellationToken ct)
    {
        var configuration = ResolveConfiguration(context);
        if (string.IsNullOrEmpty(cursor))
        {
            yield return new SourcePage([], await StartPageTokenAsync(context, configuration, ct));
            yield break;
        }
        var inScope = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (configuration.FolderId is { } root)
        {
            inScope[root] = true;
        }
        var pageToken = cursor;
        while (true)
        {
            var uri = ApiUri("drive/v3/changes",
                ("pageToken", pageToken), ("pageSize", Invariant(PageSize)), ("includeRemoved", "true"),
                ("fields", $"nextPageToken,newStartPageToken,changes(changeType,removed,fileId,file({FileFields}))"),
                ("supportsAllDrives", configuration.IncludeSharedDrives ? "true" : null),
                ("includeItemsFromAllDrives", configuration.IncludeSharedDrives ? "true" : null));
            var list = await GetJsonAsync<DriveChangeList>(context, uri, ct);
            var records = new List<SourceRecord>();
            var deleted = new List<string>();
            foreach (var change in list.Changes)
            {
                if (change.ChangeType is { } type && type != "file")
                {
                    continue; // a shared drive itself changed: not a record
                }
                var fileId = change.FileId ?? change.File?.Id;
                if (string.IsNullOrEmpty(fileId) || fileId == configuration.FolderId)
                {
                    continue;
                }
                if (change.Removed || change.File is null || change.File.Trashed
                    || (configuration.FolderId is not null && !await UnderFolderAsync(context, configuration, change.File, inScope, ct)))
                {
                    deleted.Add(fileId);
                    continue;
                }
                if (change.File.MimeType == FolderMimeType)
                {
                    inScope[fileId] = true;
                }
                records.Add(ToRecord(change.File, configuration.FolderId));
            }
            var next = string.IsNullOrEmpty(list.NextPageToken) ? null : list.NextPageToken;
            var resumeAt = next ?? list.NewStartPageToken
                ?? throw new TransientSourceException("Google Drive answered changes.list with neither nextPageToken nor newStartPageToken.");
            yield return new SourcePage(records, resumeAt) { Deleted = deleted };
            if (next is null)
            {
                yield break;
            }
            pageToken = next;
        }
    }

    /// <summary>Whether any of the file's parents lies under the configured folder, walking up with files.get (remembered per run).</summary>
    private async Task<bool> UnderFolderAsync(SourceContext context, DriveConfiguration configuration, DriveFile file,
        Dictionary<string, bool> inScope, CancellationToken ct)
    {
        foreach (var parent in file.Parents ?? [])
        {
            if (await FolderUnderRootAsync(context, configuration, parent, inScope, 0, ct))
            {
                return true;
            }
        }
        return false;
    }

    private async Task<bool> FolderUnderRootAsync(SourceContext context, DriveConfiguration configuration, string folderId,
        Dictionary<string, bool> inScope, int depth, CancellationToken ct)
    {
        if (inScope.TryGetValue(folderId, out var known))
        {
            return known;
        }
        if (depth >= MaxFolderDepth || !DriveConfiguration.IsDriveId(folderId))
        {
            return false;
        }
        inScope[folderId] = false; // a cycle (Drive has none, but a feed may be odd) ends here
        DriveFile folder;
        try
        {
            folder = await GetFileAsync(context, configuration, folderId, "id,parents,trashed", ct);
        }
        catch (PermanentSourceException gone) when (gone.Code == "NOT_FOUND")
        {
            return false;
        }
        var under = false;
        if (!folder.Trashed)
        {
            foreach (var parent in folder.Parents ?? [])
            {
                if (await FolderUnderRootAsync(context, configuration, parent, inScope, depth + 1, ct))
                {
                    under = true;
                    break;
                }
            }
        }
        inScope[folderId] = under;
        return under;
    }
}
