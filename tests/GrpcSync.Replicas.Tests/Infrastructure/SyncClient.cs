using System.Text.Json.Nodes;
using GrpcSync.EndToEnd.Tests.Infrastructure;

namespace GrpcSync.Replicas.Tests.Infrastructure;

/// <summary>The Sync and credential REST API of one replica, as one user.</summary>
public sealed class SyncClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _token;

    public SyncClient(ServerProcess replica, string token)
    {
        Replica = replica;
        _token = token;
        _http = new HttpClient { BaseAddress = replica.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public ServerProcess Replica { get; }

    /// <summary>POST /api/credentials for a filesystem account rooted at <paramref name="accountRoot"/>; returns its id.</summary>
    public async Task<string> CreateFilesystemCredentialAsync(string accountRoot, string displayName)
    {
        var created = await Rest.OkAsync(_http, HttpMethod.Post, "api/credentials", _token, new JsonObject
        {
            ["integration"] = "filesystem",
            ["displayName"] = displayName,
            ["secret"] = accountRoot,
        });
        return created.Str("id");
    }

    /// <summary>POST /api/syncs: a filesystem/files Sync named <paramref name="configurationName"/>.</summary>
    public Task<JsonObject> EnableFilesSyncAsync(string configurationName, string credentialId) =>
        Rest.OkAsync(_http, HttpMethod.Post, "api/syncs", _token, new JsonObject
        {
            ["integration"] = "filesystem",
            ["pipeline"] = "files",
            ["configuration"] = new JsonObject(),
            ["configurationName"] = configurationName,
            ["credentialId"] = credentialId,
        });

    public Task<JsonObject> GetSyncAsync(string syncId) =>
        Rest.OkAsync(_http, HttpMethod.Get, $"api/syncs/{syncId}", _token);

    /// <summary>GET /api/syncs: the "data" array.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListSyncsAsync()
    {
        var list = await Rest.OkAsync(_http, HttpMethod.Get, "api/syncs", _token);
        return list["data"] is JsonArray data ? [.. data.Select(item => item!.AsObject())] : [];
    }

    /// <summary>Every run of a Sync (all pages), newest first.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListRunsAsync(string syncId)
    {
        var runs = new List<JsonObject>();
        string? pageToken = null;
        do
        {
            var path = $"api/syncs/{syncId}/runs?pageSize=100" + (pageToken is null ? "" : "&pageToken=" + Uri.EscapeDataString(pageToken));
            var page = await Rest.OkAsync(_http, HttpMethod.Get, path, _token);
            if (page["runs"] is JsonArray items)
            {
                runs.AddRange(items.Select(item => item!.AsObject()));
            }
            pageToken = page["nextPageToken"]?.GetValue<string>() is { Length: > 0 } next ? next : null;
        }
        while (pageToken is not null);
        return runs;
    }

    /// <summary>POST /api/syncs/{id}/trigger with <paramref name="type"/> (INCREMENTAL or FULL); returns the run.</summary>
    public Task<JsonObject> TriggerAsync(string syncId, string type) =>
        Rest.OkAsync(_http, HttpMethod.Post, $"api/syncs/{syncId}/trigger", _token, new JsonObject { ["type"] = type });

    public void Dispose() => _http.Dispose();
}
