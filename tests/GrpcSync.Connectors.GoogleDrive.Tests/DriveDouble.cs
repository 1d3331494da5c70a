using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Connectors.GoogleDrive.Tests;

/// <summary>
/// A double of Google Drive API v3 and of Google's OAuth 2.0 token endpoint, served by Kestrel on a loopback port in
/// the test process (real sockets, real HTTP). It implements the documented request and response shapes the
/// connector uses, each handler citing the doc section it follows; it is faithful to Google's docs, not to the
/// connector: unknown parameters are ignored as Google ignores them, required ones are enforced.
/// </summary>
public sealed partial class DriveDouble : IAsyncDisposable
{
    public const string ClientId = "double-client.apps.googleusercontent.com";
    public const string ClientSecret = "double-client-secret-DO-NOT-LOG";
    public const string FolderType = "application/vnd.google-apps.folder";

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DoubleFile> _files = new(StringComparer.Ordinal);
    private readonly List<(long Sequence, string FileId)> _changes = [];
    private readonly Dictionary<string, bool> _refreshTokens = new(StringComparer.Ordinal); // token → live
    private readonly Dictionary<string, DateTimeOffset> _accessTokens = new(StringComparer.Ordinal); // token → expiry
    private readonly ConcurrentQueue<(int Status, string? Reason, TimeSpan? RetryAfter)> _apiFailures = new();
    private readonly ConcurrentQueue<int> _tokenFailures = new();
    private long _sequence = 100;
    private int _tokenCalls;
    private int _issued;

    private DriveDouble(WebApplication app) => _app = app;

    public static async Task<DriveDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var double_ = new DriveDouble(app);
        app.MapPost("/token", (Func<HttpContext, Task<IResult>>)double_.TokenAsync);
        app.Map("/drive/v3/{**path}", double_.DriveAsync);
        await app.StartAsync();
        return double_;
    }

    public Uri BaseUrl => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public Uri TokenEndpoint => new(BaseUrl, "/token");

    // ------------------------------------------------------------------ arranging

    /// <summary>Files per files.list / changes.list page at most (Drive: "partial or empty result pages are possible").</summary>
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>Access token lifetime (Google: 3599 s).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromSeconds(3599);

    /// <summary>Whether each refresh returns a new refresh token and revokes the old one.</summary>
    public bool RotateRefreshTokens { get; set; }

    /// <summary>A delay inside each token call, so concurrent refreshes overlap.</summary>
    public TimeSpan TokenDelay { get; set; }

    public int TokenCalls => Volatile.Read(ref _tokenCalls);

    /// <summary>Every Drive request as path and query, in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public string IssueRefreshToken()
    {
        lock (_gate)
        {
            var token = $"1//refresh-{++_issued}-{Guid.NewGuid():N}";
            _refreshTokens[token] = true;
            return token;
        }
    }

    public void Revoke(string refreshToken)
    {
        lock (_gate)
        {
            _refreshTokens[refreshToken] = false;
        }
    }

    /// <summary>Every access token issued so far expires now (Drive then answers 401).</summary>
    public void ExpireAccessTokens()
    {
        lock (_gate)
        {
            foreach (var token in _accessTokens.Keys.ToList())
            {
                _accessTokens[token] = DateTimeOffset.UtcNow.AddSeconds(-1);
            }
        }
    }

    public void FailNextApiCall(int status, string? reason = null, TimeSpan? retryAfter = null) => _apiFailures.Enqueue((status, reason, retryAfter));

    public void FailNextTokenCall(int status) => _tokenFailures.Enqueue(status);

    public DoubleFile Put(string id, string name, string mimeType = "text/plain", string? parent = "root", string? content = null,
        string? sharedDriveId = null)
    {
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            var file = new DoubleFile
            {
                Id = id, Name = name, MimeType = mimeType, Parents = parent is null ? [] : [parent],
                Content = content is null ? null : Encoding.UTF8.GetBytes(content), CreatedTime = now, ModifiedTime = now,
                DriveId = sharedDriveId, Version = 1,
            };
            _files[id] = file;
            _changes.Add((++_sequence, id));
            return file;
        }
    }

    public void Folder(string id, string name, string? parent = "root", string? sharedDriveId = null) =>
        Put(id, name, FolderType, parent, sharedDriveId: sharedDriveId);

    /// <summary>Changes a file (one entry in the changes feed), e.g. <c>f =&gt; f.Trashed = true</c>.</summary>
    public void Change(string id, Action<DoubleFile> change)
    {
        lock (_gate)
        {
            var file = _files[id];
            change(file);
            file.ModifiedTime = DateTimeOffset.UtcNow;
            file.Version++;
            _changes.Add((++_sequence, id));
        }
    }

    /// <summary>Deletes a file for good (the feed reports <c>removed: true</c>).</summary>
    public void Delete(string id)
    {
        lock (_gate)
        {
            _files.Remove(id);
            _changes.Add((++_sequence, id));
        }
    }

    // ------------------------------------------------------------------ OAuth 2.0 token endpoint

    /// <summary>
    /// Google Identity, "Using OAuth 2.0 for Web Server Applications" → "Refreshing an access token (offline access)":
    /// POST https://oauth2.googleapis.com/token, form client_id, client_secret, refresh_token, grant_type=refresh_token;
    /// 200 {"access_token","expires_in","scope","token_type":"Bearer"} (a "refresh_token" only when rotated); errors per
    /// RFC 6749 §5.2: 400 {"error":"invalid_grant","error_description":"Token has been expired or revoked."},
    /// 401 {"error":"invalid_client"}.
    /// </summary>
    private async Task<IResult> TokenAsync(HttpContext http)
    {
        Interlocked.Increment(ref _tokenCalls);
        if (TokenDelay > TimeSpan.Zero)
        {
            await Task.Delay(TokenDelay);
        }
        if (_tokenFailures.TryDequeue(out var failure))
        {
            return Results.Json(new { error = "internal_failure", error_description = "Backend Error" }, statusCode: failure);
        }
        if (!http.Request.HasFormContentType)
        {
            return Results.Json(new { error = "invalid_request", error_description = "Invalid Content-Type" }, statusCode: 400);
        }
        var form = await http.Request.ReadFormAsync();
        if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
        {
            return Results.Json(new { error = "invalid_client", error_description = "The OAuth client was not found." }, statusCode: 401);
        }
        if (form["grant_type"] != "refresh_token")
        {
            return Results.Json(new { error = "unsupported_grant_type", error_description = "Invalid grant_type" }, statusCode: 400);
        }
        var refresh = form["refresh_token"].ToString();
        lock (_gate)
        {
            if (!_refreshTokens.TryGetValue(refresh, out var live) || !live)
            {
                return Results.Json(new { error = "invalid_grant", error_description = "Token has been expired or revoked." }, statusCode: 400);
            }
            var access = $"ya29.access-{++_issued}-{Guid.NewGuid():N}";
            _accessTokens[access] = DateTimeOffset.UtcNow + AccessTokenLifetime;
            var answer = new JsonObject
            {
                ["access_token"] = access,
                ["expires_in"] = (long)AccessTokenLifetime.TotalSeconds,
                ["scope"] = "https://www.googleapis.com/auth/drive.readonly",
                ["token_type"] = "Bearer",
            };
            if (RotateRefreshTokens)
            {
                _refreshTokens[refresh] = false;
                var rotated = $"1//refresh-{++_issued}-{Guid.NewGuid():N}";
                _refreshTokens[rotated] = true;
                answer["refresh_token"] = rotated;
            }
            return Results.Text(answer.ToJsonString(), "application/json");
        }
    }

    // ------------------------------------------------------------------ Drive API v3

    private async Task DriveAsync(HttpContext http)
    {
        var path = http.Request.Path.Value!["/drive/v3/".Length..];
        Requests.Enqueue(http.Request.Path + http.Request.QueryString);
        // "Resolve errors" → 401 Invalid Credentials: the access token expired or is invalid.
        var bearer = http.Request.Headers.Authorization.ToString();
        bool authorised;
        lock (_gate)
        {
            authorised = bearer.StartsWith("Bearer ", StringComparison.Ordinal)
                && _accessTokens.TryGetValue(bearer["Bearer ".Length..], out var expiry) && expiry > DateTimeOffset.UtcNow;
        }
        if (!authorised)
        {
            await ErrorAsync(http, 401, "authError", "Request had invalid authentication credentials.", domain: "global");
            return;
        }
        if (_apiFailures.TryDequeue(out var failure))
        {
            // "Resolve errors": 403 rateLimitExceeded / userRateLimitExceeded (domain usageLimits), 429 rateLimitExceeded, 5xx backendError.
            if (failure.RetryAfter is { } wait)
            {
                http.Response.Headers.RetryAfter = ((long)wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }
            await ErrorAsync(http, failure.Status, failure.Reason ?? (failure.Status >= 500 ? "backendError" : "rateLimitExceeded"),
                "Scripted failure.", domain: failure.Status >= 500 ? "global" : "usageLimits");
            return;
        }
        var query = http.Request.Query;
        var allDrives = query["supportsAllDrives"] == "true";
        switch (path)
        {
            case "about":
                await JsonAsync(http, new JsonObject { ["user"] = new JsonObject { ["displayName"] = "Double User", ["emailAddress"] = "user@example.com" } });
                return;
            case "changes/startPageToken":
                await StartPageTokenAsync(http);
                return;
            case "changes":
                await ChangesAsync(http, allDrives && query["includeItemsFromAllDrives"] == "true");
                return;
            case "files":
                await ListAsync(http, allDrives && query["includeItemsFromAllDrives"] == "true");
                return;
        }
        var match = FilePath().Match(path);
        if (!match.Success)
        {
            await ErrorAsync(http, 404, "notFound", "Not Found", domain: "global");
            return;
        }
        DoubleFile? file;
        lock (_gate)
        {
            file = _files.GetValueOrDefault(match.Groups["id"].Value)?.Copy();
        }
        // files.get: "supportsAllDrives … Whether the requesting application supports both My Drives and shared drives":
        // without it, a shared drive's file is not found.
        if (file is null || (file.DriveId is not null && !allDrives))
        {
            await ErrorAsync(http, 404, "notFound", $"File not found: {match.Groups["id"].Value}.", domain: "global");
            return;
        }
        if (match.Groups["export"].Success)
        {
            await ExportAsync(http, file);
        }
        else if (query["alt"] == "media")
        {
            await MediaAsync(http, file);
        }
        else
        {
            await JsonAsync(http, Project(file, query["fields"].ToString()));
        }
    }

    /// <summary>changes.getStartPageToken: 200 {"kind":"drive#startPageToken","startPageToken":"…"}.</summary>
    private Task StartPageTokenAsync(HttpContext http)
    {
        long next;
        lock (_gate)
        {
            next = _sequence + 1;
        }
        return JsonAsync(http, new JsonObject { ["kind"] = "drive#startPageToken", ["startPageToken"] = next.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>
    /// changes.list (reference/rest/v3/changes/list; guide "Retrieve changes"): pageToken required; answers
    /// {"kind":"drive#changeList","nextPageToken"? ,"newStartPageToken"? ,"changes":[{"kind":"drive#change","changeType":"file",
    /// "removed","fileId","time","file"?}]}; newStartPageToken only on the last page; removed changes only with
    /// includeRemoved (default true), and without "file". Shared drive items only with includeItemsFromAllDrives.
    /// </summary>
    private Task ChangesAsync(HttpContext http, bool sharedDrives)
    {
        var query = http.Request.Query;
        if (!long.TryParse(query["pageToken"], NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            return ErrorAsync(http, 400, "invalid", "Invalid Value", domain: "global", location: "pageToken");
        }
        var includeRemoved = query["includeRemoved"] != "false";
        var pageSize = PageSize(query["pageSize"], 1000);
        var changes = new JsonArray();
        string? next = null;
        long newStart;
        lock (_gate)
        {
            newStart = _sequence + 1;
            foreach (var (sequence, fileId) in _changes.Where(c => c.Sequence >= from))
            {
                if (changes.Count == pageSize)
                {
                    next = sequence.ToString(CultureInfo.InvariantCulture);
                    break;
                }
                _files.TryGetValue(fileId, out var file);
                if (file?.DriveId is not null && !sharedDrives)
                {
                    continue;
                }
                if (file is null && !includeRemoved)
                {
                    continue;
                }
                var change = new JsonObject
                {
                    ["kind"] = "drive#change", ["changeType"] = "file", ["removed"] = file is null, ["fileId"] = fileId,
                    ["time"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                };
                if (file is not null)
                {
                    change["file"] = Project(file, InnerFields(query["fields"].ToString(), "changes", "file"));
                }
                changes.Add(change);
            }
        }
        var answer = new JsonObject { ["kind"] = "drive#changeList" };
        if (next is not null)
        {
            answer["nextPageToken"] = next;
        }
        else
        {
            answer["newStartPageToken"] = newStart.ToString(CultureInfo.InvariantCulture);
        }
        answer["changes"] = changes;
        return JsonAsync(http, answer);
    }

    /// <summary>
    /// files.list (reference/rest/v3/files/list; guide "Search for files and folders"): q supports the terms
    /// <c>trashed = false</c> and <c>'id' in parents</c> joined by <c>and</c>; pageSize 1–1000 (default 100);
    /// {"kind":"drive#fileList","nextPageToken"?,"incompleteSearch":false,"files":[…]} with the fields asked in files(…).
    /// Without includeItemsFromAllDrives only My Drive items are listed.
    /// </summary>
    private Task ListAsync(HttpContext http, bool sharedDrives)
    {
        var query = http.Request.Query;
        var q = query["q"].ToString();
        string? parent = null;
        bool? trashed = null;
        foreach (var term in q.Split(" and ", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (ParentTerm().Match(term) is { Success: true } p)
            {
                parent = p.Groups["id"].Value;
            }
            else if (TrashedTerm().Match(term) is { Success: true } t)
            {
                trashed = t.Groups["value"].Value == "true";
            }
            else
            {
                return ErrorAsync(http, 400, "invalid", "Invalid Value", domain: "global", location: "q");
            }
        }
        var pageSize = PageSize(query["pageSize"], 100);
        var offset = int.TryParse(query["pageToken"], NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : 0;
        var fields = InnerFields(query["fields"].ToString(), "files", null);
        List<DoubleFile> matching;
        lock (_gate)
        {
            matching = [.. _files.Values
                .Where(f => (sharedDrives || f.DriveId is null) && (trashed is null || f.Trashed == trashed)
                    && (parent is null || f.Parents.Contains(parent)))
                .OrderBy(f => f.Id, StringComparer.Ordinal)
                .Select(f => f.Copy())];
        }
        var page = matching.Skip(offset).Take(pageSize).ToList();
        var answer = new JsonObject { ["kind"] = "drive#fileList", ["incompleteSearch"] = false };
        if (offset + page.Count < matching.Count)
        {
            answer["nextPageToken"] = (offset + page.Count).ToString(CultureInfo.InvariantCulture);
        }
        answer["files"] = new JsonArray([.. page.Select(f => (JsonNode)Project(f, fields))]);
        return JsonAsync(http, answer);
    }

    /// <summary>
    /// files.get?alt=media (guide "Download and export files"): the bytes; a Range header is honoured (206 with
    /// Content-Range, 416 when unsatisfiable). Docs Editors files answer 403 fileNotDownloadable ("Use Export").
    /// </summary>
    private static async Task MediaAsync(HttpContext http, DoubleFile file)
    {
        if (file.MimeType.StartsWith("application/vnd.google-apps.", StringComparison.Ordinal) || file.Content is null)
        {
            await ErrorAsync(http, 403, "fileNotDownloadable", "Only files with binary content can be downloaded. Use Export with Docs Editors files.", domain: "global");
            return;
        }
        var bytes = file.Content;
        var range = http.Request.Headers.Range.ToString();
        http.Response.ContentType = file.MimeType;
        if (range.Length > 0 && ByteRange.TryParse(range, out var asked, out _))
        {
            if (asked.Resolve(bytes.Length) is not { } span)
            {
                http.Response.StatusCode = 416;
                http.Response.Headers.ContentRange = $"bytes */{bytes.Length}";
                return;
            }
            http.Response.StatusCode = 206;
            http.Response.Headers.ContentRange = $"bytes {span.First}-{span.Last}/{bytes.Length}";
            http.Response.ContentLength = span.Last - span.First + 1;
            await http.Response.Body.WriteAsync(bytes.AsMemory((int)span.First, (int)(span.Last - span.First + 1)));
            return;
        }
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes);
    }

    /// <summary>
    /// files.export (reference/rest/v3/files/export; "Export MIME types for Google Workspace documents"): mimeType
    /// required; a conversion the type does not support is 400 badRequest; a non-Workspace file 403 fileNotExportable.
    /// </summary>
    private static Task ExportAsync(HttpContext http, DoubleFile file)
    {
        var mimeType = http.Request.Query["mimeType"].ToString();
        if (!file.MimeType.StartsWith("application/vnd.google-apps.", StringComparison.Ordinal))
        {
            return ErrorAsync(http, 403, "fileNotExportable", "Export only supports Docs Editors files.", domain: "global");
        }
        if (!ExportTypes.TryGetValue(file.MimeType, out var allowed) || !allowed.Contains(mimeType))
        {
            return ErrorAsync(http, 400, "badRequest", "The requested conversion is not supported.", domain: "global", location: "convertTo");
        }
        http.Response.ContentType = mimeType;
        return http.Response.WriteAsync($"EXPORT {mimeType} OF {file.Name}");
    }

    private static readonly Dictionary<string, string[]> ExportTypes = new(StringComparer.Ordinal)
    {
        ["application/vnd.google-apps.document"] = ["application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.oasis.opendocument.text", "application/rtf", "text/plain", "application/zip", "application/epub+zip", "text/markdown"],
        ["application/vnd.google-apps.spreadsheet"] = ["application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.oasis.opendocument.spreadsheet", "text/csv", "text/tab-separated-values", "application/zip"],
        ["application/vnd.google-apps.presentation"] = ["application/pdf", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/vnd.oasis.opendocument.presentation", "text/plain"],
    };

    // ------------------------------------------------------------------ shapes

    /// <summary>The File resource with only the fields asked (partial response: "Return specific fields"); all when none asked.</summary>
    private static JsonObject Project(DoubleFile file, string fields)
    {
        var all = new JsonObject
        {
            ["kind"] = "drive#file", ["id"] = file.Id, ["name"] = file.Name, ["mimeType"] = file.MimeType,
            ["parents"] = new JsonArray([.. file.Parents.Select(p => (JsonNode)p)]), ["trashed"] = file.Trashed,
            ["createdTime"] = file.CreatedTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["modifiedTime"] = file.ModifiedTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["version"] = file.Version.ToString(CultureInfo.InvariantCulture),
            ["webViewLink"] = $"https://drive.google.com/file/d/{file.Id}/view?usp=drivesdk",
            ["thumbnailLink"] = $"https://lh3.googleusercontent.com/drive-storage/{file.Id}=s220",
        };
        if (file.Content is not null && !file.MimeType.StartsWith("application/vnd.google-apps.", StringComparison.Ordinal))
        {
            all["size"] = file.Content.Length.ToString(CultureInfo.InvariantCulture); // int64 format: a JSON string
            all["md5Checksum"] = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(file.Content));
        }
        if (file.DriveId is not null)
        {
            all["driveId"] = file.DriveId;
        }
        if (fields.Length == 0 || fields == "*")
        {
            return all;
        }
        var wanted = fields.Split(',', StringSplitOptions.TrimEntries);
        var projected = new JsonObject();
        foreach (var (name, value) in all)
        {
            if (wanted.Contains(name))
            {
                projected[name] = value?.DeepClone();
            }
        }
        return projected;
    }

    /// <summary>The fields inside <c>outer(…)</c> (or <c>outer(inner(…))</c>) of a fields parameter.</summary>
    private static string InnerFields(string fields, string outer, string? inner)
    {
        var start = fields.IndexOf(outer + "(", StringComparison.Ordinal);
        if (start < 0)
        {
            return "";
        }
        var text = fields[(start + outer.Length + 1)..];
        if (inner is not null)
        {
            var innerStart = text.IndexOf(inner + "(", StringComparison.Ordinal);
            if (innerStart < 0)
            {
                return "";
            }
            text = text[(innerStart + inner.Length + 1)..];
        }
        var end = text.IndexOf(')');
        return end < 0 ? "" : text[..end];
    }

    private int PageSize(string? text, int fallback)
    {
        var asked = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= 1000 ? size : fallback;
        return Math.Min(asked, MaxPageSize);
    }

    /// <summary>Drive's error shape: {"error":{"code","message","errors":[{"message","domain","reason","location"?}]}}.</summary>
    private static Task ErrorAsync(HttpContext http, int status, string reason, string message, string domain, string? location = null)
    {
        var error = new JsonObject { ["message"] = message, ["domain"] = domain, ["reason"] = reason };
        if (location is not null)
        {
            error["location"] = location;
            error["locationType"] = "parameter";
        }
        http.Response.StatusCode = status;
        return JsonAsync(http, new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = status, ["message"] = message, ["errors"] = new JsonArray(error) },
        }, status);
    }

    private static Task JsonAsync(HttpContext http, JsonObject body, int status = 200)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=UTF-8";
        return http.Response.WriteAsync(body.ToJsonString());
    }

    [GeneratedRegex("^files/(?<id>[A-Za-z0-9_-]+)(?<export>/export)?$")]
    private static partial Regex FilePath();

    [GeneratedRegex(@"^'(?<id>[A-Za-z0-9_-]+)' in parents$")]
    private static partial Regex ParentTerm();

    [GeneratedRegex(@"^trashed\s*=\s*(?<value>true|false)$")]
    private static partial Regex TrashedTerm();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A file the double holds.</summary>
public sealed class DoubleFile
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public required string MimeType { get; set; }
    public List<string> Parents { get; set; } = [];
    public byte[]? Content { get; set; }
    public bool Trashed { get; set; }
    public DateTimeOffset CreatedTime { get; init; }
    public DateTimeOffset ModifiedTime { get; set; }
    public string? DriveId { get; init; }
    public long Version { get; set; }

    public DoubleFile Copy() => new()
    {
        Id = Id, Name = Name, MimeType = MimeType, Parents = [.. Parents], Content = Content, Trashed = Trashed,
        CreatedTime = CreatedTime, ModifiedTime = ModifiedTime, DriveId = DriveId, Version = Version,
    };
}
