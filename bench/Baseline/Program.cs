// The hand-written REST baseline for bench/ (figure 3): GET and PATCH /api/syncs/{id} as minimal APIs
// that do the same work as GrpcSync's transcoded routes — the same JWT checks with the same library,
// the same body validation, the same store calls (GetSyncAsync for GET; MutateSyncAsync with SyncRules.Update for
// PATCH, after GetSyncAsync and GetCredentialAsync only when it binds a credential)
// and the same JSON shapes — but with System.Text.Json and no gRPC in between.
//
// Configuration (command line --Key=value or environment Key=value, ':' as '__'):
//   Baseline:Port, Baseline:Database (SQLite file), Baseline:PublicKeyFile, Baseline:ProjectId,
//   Baseline:AudienceHost. Logging:LogLevel:Default as usual.
using System.Net;
using System.Text.Json;
using GrpcSync.Bench.Baseline;
using GrpcSync.Domain;
using GrpcSync.Storage;
using GrpcSync.Storage.Sqlite;
using Microsoft.AspNetCore.Server.Kestrel.Core;

var builder = WebApplication.CreateBuilder(args);
var settings = builder.Configuration.GetSection("Baseline");
var port = settings.GetValue<int>("Port");
var database = settings["Database"] ?? throw new InvalidOperationException("Baseline:Database (a SQLite file) is required.");

// HTTP/1.1 only, like GrpcSync's REST port.
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1));
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BaselineJson.Default));
builder.Services.AddSingleton<ISyncStore>(new SqliteSyncStore($"Data Source={database}"));
builder.Services.AddSingleton(new BaselineAuth(
    File.ReadAllText(settings["PublicKeyFile"] ?? throw new InvalidOperationException("Baseline:PublicKeyFile is required.")),
    settings["ProjectId"] ?? "bench",
    settings["AudienceHost"] ?? "grpcsync.local"));

var app = builder.Build();
await app.Services.GetRequiredService<ISyncStore>().MigrateAsync(); // a no-op on GrpcSync's file; checks the schema version

app.MapGet("/healthz", () => "Healthy");

app.MapGet("/api/syncs/{syncId}", async (string syncId, HttpContext http, BaselineAuth auth, ISyncStore store) =>
{
    var scope = await auth.AuthenticateAsync(http.Request.Headers.Authorization);
    if (scope is null)
    {
        return Errors.Unauthenticated();
    }
    if (!Guid.TryParseExact(syncId, "D", out var id))
    {
        return Errors.Invalid("syncId", $"syncId must be a valid UUID, got '{syncId}'.");
    }
    var snapshot = await store.GetSyncAsync(scope.Value, id, http.RequestAborted);
    return snapshot is null
        ? Errors.NotFound($"Sync not found: {syncId}")
        : Results.Json(SyncJson.From(snapshot), BaselineJson.Default.SyncJson);
});

app.MapMethods("/api/syncs/{syncId}", ["PATCH"], async (string syncId, HttpContext http, BaselineAuth auth, ISyncStore store) =>
{
    var scope = await auth.AuthenticateAsync(http.Request.Headers.Authorization);
    if (scope is null)
    {
        return Errors.Unauthenticated();
    }
    UpdateBody? body;
    try
    {
        // Unknown keys are rejected (UnmappedMemberHandling.Disallow), as GrpcSync does.
        body = await JsonSerializer.DeserializeAsync(http.Request.Body, BaselineJson.Default.UpdateBody, http.RequestAborted);
    }
    catch (JsonException error)
    {
        return Errors.Invalid("body", $"Invalid JSON payload received. {error.Message}");
    }
    if (!Guid.TryParseExact(syncId, "D", out var id))
    {
        return Errors.Invalid("syncId", $"syncId must be a valid UUID, got '{syncId}'.");
    }
    if (body is null || (body.CredentialId is null && body.IncrementalAccumulatorFrequency is null))
    {
        return Errors.Invalid("body", "Provide at least one field to update: credentialId or incrementalAccumulatorFrequency.");
    }
    Guid? credentialId = null;
    if (body.CredentialId is not null)
    {
        if (!Guid.TryParseExact(body.CredentialId, "D", out var parsed))
        {
            return Errors.Invalid("credentialId", $"credentialId must be a valid UUID, got '{body.CredentialId}'.");
        }
        credentialId = parsed;
    }
    if (body.IncrementalAccumulatorFrequency is { } frequency && !Frequency.IsValid(frequency))
    {
        return Errors.Invalid("incrementalAccumulatorFrequency",
            $"incrementalAccumulatorFrequency must be one of {string.Join(", ", Frequency.Allowed)}; got '{frequency}'.");
    }

    // The same store work as SyncApi.UpdateSync: only a new credential needs the Sync read first (404 and its
    // integration, which the credential must fit); a frequency change is the one read-modify-write decided by SyncRules.Update.
    if (credentialId is { } cid)
    {
        var current = await store.GetSyncAsync(scope.Value, id, http.RequestAborted);
        if (current is null)
        {
            return Errors.NotFound($"Sync not found: {syncId}");
        }
        var credential = await store.GetCredentialAsync(scope.Value, cid, http.RequestAborted);
        if (credential is null)
        {
            return Errors.NotFound($"Credential not found: {cid}");
        }
        if (credential.Integration != current.Sync.Integration)
        {
            return Errors.Status(400, 9, $"Credential {cid} belongs to integration '{credential.Integration}'.");
        }
    }
    var etag = body.Etag ?? (http.Request.Headers.IfMatch.ToString() is { Length: > 0 } h && h.Trim() != "*" ? h : null);
    var command = new UpdateSyncCommand(credentialId, body.IncrementalAccumulatorFrequency, etag, scope.Value.UserId);
    var now = DateTimeOffset.UtcNow.TruncateToMilliseconds();
    try
    {
        if (await store.MutateSyncAsync(scope.Value, id, s => SyncRules.Update(s, command, now), http.RequestAborted) is null)
        {
            return Errors.NotFound($"Sync not found: {syncId}");
        }
    }
    catch (DomainException error)
    {
        return Errors.FromDomain(error);
    }
    var response = new UpdateResponse(id.ToString(),
        new UpdateData(body.CredentialId, body.IncrementalAccumulatorFrequency),
        "Update request accepted and is being processed");
    return Results.Json(response, BaselineJson.Default.UpdateResponse);
});

await app.RunAsync();
