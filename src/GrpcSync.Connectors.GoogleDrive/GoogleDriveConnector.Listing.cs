using System.Net.Http.Json;
using System.Runtime.CompilerServices;

namespace GrpcSync.Connectors.GoogleDrive;

// Listing: INITIAL/FULL runs. The start page token first, then files.list over the whole Drive or the folder's subtree.
public sealed partial class GoogleDriveConnector
{
    /// <summary>
    /// Every file the configuration covers, not trashed. <c>changes.getStartPageToken</c> is taken before the first
    /// <c>files.list</c>, and every page carries it as the cursor: the first INCREMENTAL run then replays whatever
    /// changed while this listing ran. A folder configuration is listed level by level (<c>'id' in parents</c>),
    /// each folder's children after it, so a record's parent is always known.
    /// </summary>
    private async IAsyncEnumerable<SourcePage> ListAsync(SourceContext context, [EnumeratorCancellation] CancellationToken ct)
    {
        var configuration = ResolveConfiguration(context);
        var startToken = await StartPageTokenAsync(context, configuration, ct);
        if (configuration.FolderId is not { } rootId)
        {
            await foreach (var page in ListQueryAsync(context, configuration, "trashed = false", ct))
            {
                yield return new SourcePage([.. page.Select(f => ToRecord(f, null))], startToken);
            }
            yield break;
        }

        await EnsureFolderAsync(context, configuration, rootId, ct);
        var pending = new Queue<string>([rootId]);
        var visited = new HashSet<string>(StringComparer.Ordinal) { rootId };
        while (pending.TryDequeue(out var folderId))
        {
            await foreach (var page in ListQueryAsync(context, configuration, $"'{folderId}' in parents and trashed = false", ct))
            {
                foreach (var child in page.Where(f => f.MimeType == FolderMimeType && visited.Add(f.Id)))
                {
                    pending.Enqueue(child.Id);
                }
                yield return new SourcePage([.. page.Select(f => ToRecord(f, rootId))], startToken);
            }
        }
    }

    /// <summary><c>files.list</c> pages of one query (https://developers.google.com/drive/api/reference/rest/v3/files/list).</summary>
    private async IAsyncEnumerable<List<DriveFile>> ListQueryAsync(SourceContext context, DriveConfiguration configuration, string q,
        [EnumeratorCancellation] CancellationToken ct)
    {
        string? pageToken = null;
        do
        {
            var uri = ApiUri("drive/v3/files",
                ("q", q), ("pageSize", Invariant(PageSize)), ("pageToken", pageToken),
                ("fields", $"nextPageToken,files({FileFields})"),
                ("supportsAllDrives", configuration.IncludeSharedDrives ? "true" : null),
                ("includeItemsFromAllDrives", configuration.IncludeSharedDrives ? "true" : null),
                ("corpora", configuration.IncludeSharedDrives && configuration.FolderId is null ? "allDrives" : null));
            var list = await GetJsonAsync<DriveFileList>(context, uri, ct);
            pageToken = string.IsNullOrEmpty(list.NextPageToken) ? null : list.NextPageToken;
            yield return list.Files;
        }
        while (pageToken is not null);
    }

    /// <summary><c>changes.getStartPageToken</c>: where the changes feed stands now.</summary>
    private async Task<string> StartPageTokenAsync(SourceContext context, DriveConfiguration configuration, CancellationToken ct)
    {
        var answer = await GetJsonAsync<DriveStartPageToken>(context,
            ApiUri("drive/v3/changes/startPageToken", ("supportsAllDrives", configuration.IncludeSharedDrives ? "true" : null)), ct);
        return answer.StartPageToken is { Length: > 0 } token
            ? token
            : throw new TransientSourceException("Google Drive answered changes.getStartPageToken without a token.");
    }

    /// <summary>The configured folder exists, is a folder and is not trashed; else the Sync is ERRORED (FOLDER_NOT_FOUND).</summary>
    private async Task EnsureFolderAsync(SourceContext context, DriveConfiguration configuration, string folderId, CancellationToken ct)
    {
        DriveFile folder;
        try
        {
            folder = await GetFileAsync(context, configuration, folderId, "id,mimeType,trashed", ct);
        }
        catch (PermanentSourceException notFound) when (notFound.Code == "NOT_FOUND")
        {
            throw new PermanentSourceException("FOLDER_NOT_FOUND",
                $"The folder {folderId} does not exist or the user cannot see it. Check the Sync's configuration.folderId.");
        }
        if (folder.MimeType != FolderMimeType || folder.Trashed)
        {
            throw new PermanentSourceException("FOLDER_NOT_FOUND",
                $"{folderId} is {(folder.Trashed ? "in the trash" : "not a folder")}. Check the Sync's configuration.folderId.");
        }
    }

    /// <summary><c>files.get</c> of one file's metadata.</summary>
    private Task<DriveFile> GetFileAsync(SourceContext context, DriveConfiguration configuration, string fileId, string fields, CancellationToken ct) =>
        GetJsonAsync<DriveFile>(context, ApiUri($"drive/v3/files/{Uri.EscapeDataString(fileId)}", ("fields", fields),
            ("supportsAllDrives", configuration.IncludeSharedDrives ? "true" : null)), ct);

    private async Task<T> GetJsonAsync<T>(SourceContext context, Uri uri, CancellationToken ct) where T : class
    {
        using var response = await SendAsync(context, () => new HttpRequestMessage(HttpMethod.Get, uri), HttpCompletionOption.ResponseContentRead, ct);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ct) ?? throw new TransientSourceException("Google Drive answered an empty body.");
        }
        catch (System.Text.Json.JsonException error)
        {
            throw new TransientSourceException($"Google Drive's answer could not be read ({error.Message}).");
        }
    }
}
