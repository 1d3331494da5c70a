using System.Globalization;
using System.Net;

namespace GrpcSync.Connectors.GoogleDrive;

// Content: files.get?alt=media streamed through (a Range goes to Drive), Workspace documents through files.export.
public sealed partial class GoogleDriveConnector
{
    /// <summary>
    /// Reads the file's metadata, then: a Workspace document (Docs, Sheets, Slides, Drawings) is exported as
    /// <paramref name="format"/> (PDF by default; no ranges: exports are whole); any other file streams from
    /// <c>alt=media</c>, a range served by Drive. A format on a plain file, or a Workspace type with no export (forms,
    /// shortcuts, folders), is FORMAT_UNSUPPORTED / NOT_EXPORTABLE (the API's 400).
    /// </summary>
    private async Task<SourceContent> OpenContentAsync(SourceContext context, string externalId, ByteRange? range, string? format, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(externalId);
        var configuration = ResolveConfiguration(context);
        if (!DriveConfiguration.IsDriveId(externalId))
        {
            throw new PermanentSourceException("NOT_FOUND", "The record's id is not a Drive file id.");
        }
        var file = await GetFileAsync(context, configuration, externalId, "id,name,mimeType,size,trashed", ct);
        if (file.Trashed)
        {
            throw new PermanentSourceException("NOT_FOUND", "The file is in the trash.");
        }
        var fileUri = $"drive/v3/files/{Uri.EscapeDataString(externalId)}";
        var shared = configuration.IncludeSharedDrives ? "true" : null;

        if (DriveExportFormats.IsWorkspaceType(file.MimeType))
        {
            var exportType = DriveExportFormats.Resolve(file.MimeType, format, out var problem)
                ?? throw new PermanentSourceException(file.MimeType == FolderMimeType || format is null ? "NOT_EXPORTABLE" : "FORMAT_UNSUPPORTED", problem);
            var export = await SendAsync(context, () => new HttpRequestMessage(HttpMethod.Get, ApiUri($"{fileUri}/export", ("mimeType", exportType))),
                HttpCompletionOption.ResponseHeadersRead, ct);
            return Streamed(export, exportType, range: null);
        }
        if (format is not null)
        {
            throw new PermanentSourceException("FORMAT_UNSUPPORTED",
                $"Only Google Docs, Sheets, Slides and Drawings can be exported; this file ({file.MimeType}) is served as it is stored, without ?format=.");
        }

        var media = await SendAsync(context, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, ApiUri(fileUri, ("alt", "media"), ("supportsAllDrives", shared)));
                if (range is { } asked)
                {
                    request.Headers.TryAddWithoutValidation("Range", asked.ToString());
                }
                return request;
            },
            HttpCompletionOption.ResponseHeadersRead, ct,
            accept: r => range is not null && r.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable);
        if (media.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            media.Dispose();
            throw new RangeNotSatisfiableException(long.TryParse(file.Size, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null);
        }
        var contentType = media.Content.Headers.ContentType?.ToString() is { Length: > 0 } type ? type : file.MimeType;
        return Streamed(media, contentType, range);
    }

    /// <summary>The response's body as the content, disposed with it; a 206 says which bytes it carries.</summary>
    private static SourceContent Streamed(HttpResponseMessage response, string contentType, ByteRange? range)
    {
        var body = response.Content.ReadAsStream();
        ServedRange? served = null;
        if (range is not null && response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange is { From: { } from, To: { } to } header)
        {
            served = new ServedRange(from, to, header.Length);
        }
        return new SourceContent(contentType, new OwningStream(body, response))
        {
            Length = response.Content.Headers.ContentLength,
            Range = served,
        };
    }
}
