using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>A raw REST answer: HTTP status, body text and (when it is JSON) the parsed body.</summary>
public sealed record RestResponse(int Status, string Text, JsonElement? Json)
{
    public JsonElement Body => Json ?? throw new Xunit.Sdk.XunitException($"HTTP {Status}: the body is not JSON: {Text}");
}

/// <summary>
/// One connected user (a token with its own <c>sub</c>) and every API call of the contract, each
/// reachable over either transport. Scenarios written against it run unchanged over gRPC and REST.
/// </summary>
public sealed partial class TestUser(ServerFixture server, string userId, string projectId, string token)
{
    public string UserId { get; } = userId;
    public string ProjectId { get; } = projectId;
    public string Token { get; } = token;
    public ServerFixture Server { get; } = server;

    private Metadata Headers(params (string Key, string Value)[] extra)
    {
        var metadata = new Metadata { { "authorization", "Bearer " + Token } };
        foreach (var (key, value) in extra)
        {
            metadata.Add(key, value);
        }
        return metadata;
    }

    // ---- Credentials ----

    public Task<Outcome<Credential>> CreateCredential(Transport transport, CreateCredentialRequest request) =>
        Call(transport, o => Server.Credentials.CreateCredentialAsync(request, o), HttpMethod.Post, "/api/credentials", RestJson.Body(request));

    public Task<Outcome<Credential>> CreateCredential(Transport transport, string integration = "googledrive",
        string displayName = "My Drive", string secret = "s3cret-token") =>
        CreateCredential(transport, new CreateCredentialRequest { Integration = integration, DisplayName = displayName, SecretText = secret });

    /// <summary>CreateCredential with an <c>Idempotency-Key</c> header (REST) or <c>idempotency-key</c> metadata (gRPC).</summary>
    public Task<Outcome<Credential>> CreateCredential(Transport transport, CreateCredentialRequest request, string idempotencyKey) =>
        Call(transport, o => Server.Credentials.CreateCredentialAsync(request, o), HttpMethod.Post, "/api/credentials", RestJson.Body(request),
            headers: [("Idempotency-Key", idempotencyKey)]);

    public Task<Outcome<ListCredentialsResponse>> ListCredentials(Transport transport) =>
        Call(transport, o => Server.Credentials.ListCredentialsAsync(new ListCredentialsRequest(), o), HttpMethod.Get, "/api/credentials");

    public Task<Outcome<Credential>> GetCredential(Transport transport, string credentialId) =>
        Call(transport, o => Server.Credentials.GetCredentialAsync(new GetCredentialRequest { CredentialId = credentialId }, o),
            HttpMethod.Get, $"/api/credentials/{Uri.EscapeDataString(credentialId)}");

    public Task<Outcome<DeleteCredentialResponse>> DeleteCredential(Transport transport, string credentialId) =>
        Call(transport, o => Server.Credentials.DeleteCredentialAsync(new DeleteCredentialRequest { CredentialId = credentialId }, o),
            HttpMethod.Delete, $"/api/credentials/{Uri.EscapeDataString(credentialId)}");

    // ---- Syncs ----

    public Task<Outcome<Sync>> EnableSync(Transport transport, EnableSyncRequest request) =>
        Call(transport, o => Server.Syncs.EnableSyncAsync(request, o), HttpMethod.Post, "/api/syncs", RestJson.Body(request));

    public Task<Outcome<ListSyncsResponse>> ListSyncs(Transport transport, string? credentialId = null)
    {
        var request = new ListSyncsRequest();
        if (credentialId is not null)
        {
            request.CredentialId = credentialId;
        }
        var query = credentialId is null ? "" : "?credentialId=" + Uri.EscapeDataString(credentialId);
        return Call(transport, o => Server.Syncs.ListSyncsAsync(request, o), HttpMethod.Get, "/api/syncs" + query);
    }

    public Task<Outcome<Sync>> GetSync(Transport transport, string syncId) =>
        Call(transport, o => Server.Syncs.GetSyncAsync(new GetSyncRequest { SyncId = syncId }, o),
            HttpMethod.Get, SyncPath(syncId));

    public Task<Outcome<UpdateSyncResponse>> UpdateSync(Transport transport, UpdateSyncRequest request, string? ifMatch = null) =>
        Call(transport, o => Server.Syncs.UpdateSyncAsync(request, o), HttpMethod.Patch, SyncPath(request.SyncId),
            RestJson.Body(request, "syncId"), ifMatch);

    /// <summary>UpdateSync with only the given fields set (null = not sent).</summary>
    public Task<Outcome<UpdateSyncResponse>> UpdateSync(Transport transport, string syncId,
        string? credentialId = null, string? frequency = null, string? etag = null, string? ifMatch = null)
    {
        var request = new UpdateSyncRequest { SyncId = syncId };
        if (credentialId is not null)
        {
            request.CredentialId = credentialId;
        }
        if (frequency is not null)
        {
            request.IncrementalAccumulatorFrequency = frequency;
        }
        if (etag is not null)
        {
            request.Etag = etag;
        }
        return UpdateSync(transport, request, ifMatch);
    }

    public Task<Outcome<Sync>> DisableSync(Transport transport, string syncId) =>
        Call(transport, o => Server.Syncs.DisableSyncAsync(new DisableSyncRequest { SyncId = syncId }, o),
            HttpMethod.Post, SyncPath(syncId) + "/disable");

    public Task<Outcome<Sync>> ReenableSync(Transport transport, string syncId) =>
        Call(transport, o => Server.Syncs.ReenableSyncAsync(new ReenableSyncRequest { SyncId = syncId }, o),
            HttpMethod.Post, SyncPath(syncId) + "/reenable");

    public Task<Outcome<DeleteSyncResponse>> DeleteSync(Transport transport, string syncId) =>
        Call(transport, o => Server.Syncs.DeleteSyncAsync(new DeleteSyncRequest { SyncId = syncId }, o),
            HttpMethod.Delete, SyncPath(syncId));

    public Task<Outcome<ListSyncRunsResponse>> ListSyncRuns(Transport transport, string syncId, int pageSize = 0, string pageToken = "")
    {
        var query = new List<string>();
        if (pageSize != 0)
        {
            query.Add("pageSize=" + pageSize);
        }
        if (pageToken.Length > 0)
        {
            query.Add("pageToken=" + Uri.EscapeDataString(pageToken));
        }
        var path = SyncPath(syncId) + "/runs" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        return Call(transport,
            o => Server.Syncs.ListSyncRunsAsync(new ListSyncRunsRequest { SyncId = syncId, PageSize = pageSize, PageToken = pageToken }, o),
            HttpMethod.Get, path);
    }

    // ---- Runs and records ----

    /// <summary>TriggerSync; over REST the body is <c>{"type":"FULL"}</c> (short enum name), or <c>{}</c> for the default.</summary>
    public Task<Outcome<SyncRun>> TriggerSync(Transport transport, string syncId, SyncRunType type = SyncRunType.Unspecified)
    {
        var request = new TriggerSyncRequest { SyncId = syncId, Type = type };
        var body = type == SyncRunType.Unspecified ? "{}" : $"{{\"type\":\"{ShortName(type)}\"}}";
        return Call(transport, o => Server.Syncs.TriggerSyncAsync(request, o), HttpMethod.Post, SyncPath(syncId) + "/trigger", body);
    }

    public Task<Outcome<SyncRun>> CancelSyncRun(Transport transport, string syncId, string runId) =>
        Call(transport, o => Server.Syncs.CancelSyncRunAsync(new CancelSyncRunRequest { SyncId = syncId, RunId = runId }, o),
            HttpMethod.Post, $"{SyncPath(syncId)}/runs/{Uri.EscapeDataString(runId)}/cancel");

    /// <summary>
    /// ListSyncedRecords. <paramref name="sizeParameter"/> is how the page size is sent: <c>pageSize</c>,
    /// <c>page_size</c> or <c>limit</c> (REST query names; over gRPC <c>limit</c> sets the limit field,
    /// the others page_size).
    /// </summary>
    public Task<Outcome<ListSyncedRecordsResponse>> ListSyncedRecords(Transport transport, string syncId, int pageSize = 0,
        string cursor = "", string sizeParameter = "pageSize")
    {
        var request = new ListSyncedRecordsRequest { SyncId = syncId, Cursor = cursor };
        if (sizeParameter == "limit")
        {
            request.Limit = pageSize;
        }
        else
        {
            request.PageSize = pageSize;
        }
        var query = new List<string>();
        if (pageSize != 0)
        {
            query.Add($"{sizeParameter}={pageSize}");
        }
        if (cursor.Length > 0)
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }
        var path = SyncPath(syncId) + "/records" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        return Call(transport, o => Server.Syncs.ListSyncedRecordsAsync(request, o), HttpMethod.Get, path);
    }

    /// <summary>ListSyncEvents: <c>GET /api/syncs/{id}/events?pageSize=&amp;cursor=</c>.</summary>
    public Task<Outcome<ListSyncEventsResponse>> ListSyncEvents(Transport transport, string syncId, int pageSize = 0, string cursor = "")
    {
        var request = new ListSyncEventsRequest { SyncId = syncId, PageSize = pageSize, Cursor = cursor };
        var query = new List<string>();
        if (pageSize != 0)
        {
            query.Add($"pageSize={pageSize}");
        }
        if (cursor.Length > 0)
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }
        var path = SyncPath(syncId) + "/events" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        return Call(transport, o => Server.Syncs.ListSyncEventsAsync(request, o), HttpMethod.Get, path);
    }

    public Task<Outcome<GetSyncedRecordResponse>> GetSyncedRecord(Transport transport, string syncId, string recordId) =>
        Call(transport, o => Server.Syncs.GetSyncedRecordAsync(new GetSyncedRecordRequest { SyncId = syncId, RecordId = recordId }, o),
            HttpMethod.Get, $"{SyncPath(syncId)}/records/{Uri.EscapeDataString(recordId)}");

    /// <summary>
    /// GetSyncedRecordContent of the whole content, as one HttpBody: over REST the raw bytes with the response's
    /// Content-Type header (<see cref="Outcome{T}.Text"/> stays null on success), over gRPC every chunk joined.
    /// </summary>
    public async Task<Outcome<Google.Api.HttpBody>> GetSyncedRecordContent(Transport transport, string syncId, string recordId)
    {
        var download = await DownloadContent(transport, syncId, recordId);
        if (download.Failure is { } failure)
        {
            return failure;
        }
        return new Outcome<Google.Api.HttpBody>
        {
            Transport = transport,
            Code = StatusCode.OK,
            HttpStatus = download.HttpStatus,
            Value = new Google.Api.HttpBody { ContentType = download.ContentType, Data = ByteString.CopyFrom(download.Bytes) },
        };
    }

    /// <summary>The short (REST) name of a run type: FULL, INCREMENTAL.</summary>
    public static string ShortName(SyncRunType type) =>
        SyncReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>("SyncRunType").FindValueByNumber((int)type).Name.Replace("SYNC_RUN_TYPE_", "", StringComparison.Ordinal);

    private static string SyncPath(string syncId) => "/api/syncs/" + Uri.EscapeDataString(syncId);

    // ---- Scenario shortcuts (they assert success) ----

    public async Task<Credential> NewCredential(string integration = "googledrive", string displayName = "My Drive") =>
        (await CreateCredential(Transport.Grpc, integration, displayName)).Ok();

    /// <summary>Enables a googledrive/files Sync (creating a credential first unless one is given).</summary>
    public async Task<Sync> NewSync(string? credentialId = null, string pipeline = "files", string folder = "x",
        string? frequency = null, string configurationName = "")
    {
        credentialId ??= (await NewCredential()).Id;
        var request = EnableRequest(pipeline, folder, credentialId);
        request.ConfigurationName = configurationName;
        if (frequency is not null)
        {
            request.IncrementalAccumulatorFrequency = frequency;
        }
        return (await EnableSync(Transport.Grpc, request)).Ok();
    }

    public static EnableSyncRequest EnableRequest(string pipeline = "files", string folder = "x", string? credentialId = null,
        string integration = "googledrive")
    {
        var request = new EnableSyncRequest
        {
            Integration = integration,
            Pipeline = pipeline,
            Configuration = new Struct { Fields = { ["folder"] = Value.ForString(folder) } },
        };
        if (credentialId is not null)
        {
            request.CredentialId = credentialId;
        }
        return request;
    }

    public async Task<Sync> Get(string syncId) => (await GetSync(Transport.Grpc, syncId)).Ok();

    /// <summary>Every run of a Sync, newest first (one big page).</summary>
    public async Task<IReadOnlyList<SyncRun>> Runs(string syncId) =>
        (await ListSyncRuns(Transport.Grpc, syncId, pageSize: 100)).Ok().Runs;

    // ---- Raw REST (for wire-level cases the typed requests cannot express) ----

    public Task<RestResponse> Rest(HttpMethod method, string path, string? jsonBody = null, string? ifMatch = null,
        bool authenticated = true) =>
        Server.Rest(method, path, jsonBody, authenticated ? "Bearer " + Token : null, ifMatch);

    // ---- The one place that speaks both transports ----

    /// <summary>
    /// One call over <paramref name="transport"/>; <paramref name="headers"/> go as HTTP headers (REST) or
    /// metadata under the lower-case name (gRPC), like <paramref name="ifMatch"/>.
    /// </summary>
    private async Task<Outcome<T>> Call<T>(Transport transport, Func<CallOptions, AsyncUnaryCall<T>> grpc,
        HttpMethod method, string path, string? jsonBody = null, string? ifMatch = null,
        IReadOnlyList<(string Name, string Value)>? headers = null)
        where T : class, IMessage<T>, new()
    {
        if (transport == Transport.Grpc)
        {
            var extra = (headers ?? []).Select(h => (h.Name.ToLowerInvariant(), h.Value));
            var metadata = Headers([.. ifMatch is null ? extra : extra.Append(("if-match", ifMatch))]);
            try
            {
                var value = await grpc(new CallOptions(metadata, deadline: DateTime.UtcNow.AddSeconds(10)));
                return new Outcome<T> { Transport = transport, Code = StatusCode.OK, Value = value };
            }
            catch (RpcException error)
            {
                return new Outcome<T>
                {
                    Transport = transport,
                    Code = error.StatusCode,
                    Error = error.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)error.StatusCode, Message = error.Status.Detail },
                };
            }
        }

        return await RestCall<T>(method, path, jsonBody, ifMatch, headers);
    }

    /// <summary>UpdateSync over REST with a hand-written JSON body.</summary>
    public Task<Outcome<UpdateSyncResponse>> RawUpdateSync(string syncId, string rawJson, string? ifMatch = null) =>
        RestCall<UpdateSyncResponse>(HttpMethod.Patch, SyncPath(syncId), rawJson, ifMatch);

    /// <summary>A REST call read into the same <see cref="Outcome{T}"/> as a gRPC call.</summary>
    public async Task<Outcome<T>> RestCall<T>(HttpMethod method, string path, string? jsonBody = null, string? ifMatch = null,
        IReadOnlyList<(string Name, string Value)>? headers = null)
        where T : class, IMessage<T>, new()
    {
        const Transport transport = Transport.Rest;
        var response = await Server.Rest(method, path, jsonBody, "Bearer " + Token, ifMatch, headers);
        if (response.Status == 200)
        {
            return new Outcome<T>
            {
                Transport = transport,
                Code = StatusCode.OK,
                HttpStatus = response.Status,
                Json = response.Json,
                Text = response.Text,
                Value = RestJson.ParseMessage<T>(response.Text),
            };
        }
        Google.Rpc.Status? status = null;
        if (response.Json is { ValueKind: JsonValueKind.Object })
        {
            try
            {
                status = RestJson.ParseStatus(response.Text);
            }
            catch (InvalidProtocolBufferException)
            {
                // Not a google.rpc.Status body; Fails() reports the text.
            }
        }
        return new Outcome<T>
        {
            Transport = transport,
            Code = status is not null ? (StatusCode)status.Code : StatusCode.Unknown,
            HttpStatus = response.Status,
            Json = response.Json,
            Text = response.Text,
            Error = status,
        };
    }
}

public static class RestExtensions
{
    /// <summary>One HTTP/1.1 request to the REST port.</summary>
    public static async Task<RestResponse> Rest(this ServerFixture server, HttpMethod method, string path,
        string? jsonBody = null, string? authorization = null, string? ifMatch = null,
        IReadOnlyList<(string Name, string Value)>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (jsonBody is not null)
        {
            request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        }
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement? json = null;
        if (text.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                json = document.RootElement.Clone();
            }
            catch (JsonException)
            {
            }
        }
        return new RestResponse((int)response.StatusCode, text, json);
    }
}
