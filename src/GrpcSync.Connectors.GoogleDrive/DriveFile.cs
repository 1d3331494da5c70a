using System.Text.Json.Serialization;

namespace GrpcSync.Connectors.GoogleDrive;

/// <summary>The fields of a Drive <c>File</c> resource the connector asks for (<see cref="GoogleDriveConnector.FileFields"/>).</summary>
internal sealed record DriveFile
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("mimeType")] public string MimeType { get; init; } = "";
    /// <summary>int64 as a JSON string (Drive's format); absent for folders and Google Docs.</summary>
    [JsonPropertyName("size")] public string? Size { get; init; }
    [JsonPropertyName("md5Checksum")] public string? Md5Checksum { get; init; }
    [JsonPropertyName("webViewLink")] public string? WebViewLink { get; init; }
    [JsonPropertyName("thumbnailLink")] public string? ThumbnailLink { get; init; }
    [JsonPropertyName("createdTime")] public DateTimeOffset? CreatedTime { get; init; }
    [JsonPropertyName("modifiedTime")] public DateTimeOffset? ModifiedTime { get; init; }
    [JsonPropertyName("parents")] public List<string>? Parents { get; init; }
    [JsonPropertyName("trashed")] public bool Trashed { get; init; }
    [JsonPropertyName("version")] public string? Version { get; init; }
}

/// <summary><c>files.list</c>'s answer.</summary>
internal sealed record DriveFileList
{
    [JsonPropertyName("nextPageToken")] public string? NextPageToken { get; init; }
    [JsonPropertyName("files")] public List<DriveFile> Files { get; init; } = [];
}

/// <summary><c>changes.getStartPageToken</c>'s answer.</summary>
internal sealed record DriveStartPageToken
{
    [JsonPropertyName("startPageToken")] public string? StartPageToken { get; init; }
}

/// <summary><c>changes.list</c>'s answer: <see cref="NextPageToken"/> while there are more pages, <see cref="NewStartPageToken"/> on the last.</summary>
internal sealed record DriveChangeList
{
    [JsonPropertyName("nextPageToken")] public string? NextPageToken { get; init; }
    [JsonPropertyName("newStartPageToken")] public string? NewStartPageToken { get; init; }
    [JsonPropertyName("changes")] public List<DriveChange> Changes { get; init; } = [];
}

/// <summary>One change: a file's (<c>changeType</c> "file") or a shared drive's ("drive", ignored).</summary>
internal sealed record DriveChange
{
    [JsonPropertyName("changeType")] public string? ChangeType { get; init; }
    [JsonPropertyName("removed")] public bool Removed { get; init; }
    [JsonPropertyName("fileId")] public string? FileId { get; init; }
    [JsonPropertyName("file")] public DriveFile? File { get; init; }
}
