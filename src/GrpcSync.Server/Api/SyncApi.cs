using Google.Protobuf;
using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Connectors;
using GrpcSync.Server.Auth;
using GrpcSync.Storage;
using GrpcSync.V1;
using Credential = GrpcSync.Domain.Credential;
using Sync = GrpcSync.V1.Sync;
using SyncRun = GrpcSync.V1.SyncRun;

namespace GrpcSync.Server.Api;

/// <summary>
/// SyncService: reads the caller, validates the request, lets <see cref="SyncRules"/> decide and the
/// store apply it atomically, and maps the result. No SQL and no lifecycle rules live here.
/// </summary>
public sealed class SyncApi(ISyncStore store, ConnectorRegistry connectors, RecordsApi records, RecordContentApi content, EventsApi events,
    SyncEventStream eventStream, TimeProvider time)
    : SyncService.SyncServiceBase
{
    public const string UpdateAcceptedMessage = "Update request accepted and is being processed";
    public const string DefaultConfigurationName = "default";
    private const int MaxConfigurationBytes = 64 * 1024;

    public override async Task<Sync> EnableSync(EnableSyncRequest request, ServerCallContext context)
    {
        var scope = context.Caller();
        var v = new Violations();
        v.IntegrationKey("integration", request.Integration);
        v.Pipeline("pipeline", request.Pipeline);
        v.Text("configurationName", request.ConfigurationName, 100, required: false);
        var credentialId = v.Uuid("credentialId", request.HasCredentialId ? request.CredentialId : null, required: false);
        var frequency = v.Frequency("incrementalAccumulatorFrequency", request.HasIncrementalAccumulatorFrequency ? request.IncrementalAccumulatorFrequency : null);
        var configurationJson = request.Configuration is null || !v.JsonStruct("configuration", request.Configuration)
            ? "{}" : JsonFormatter.Default.Format(request.Configuration);
        if (configurationJson.Length > MaxConfigurationBytes)
        {
            v.Add("configuration", $"configuration must be at most {MaxConfigurationBytes} bytes of JSON.");
        }
        v.ThrowIfAny();
        ValidateAgainstConnector(request);

        var credential = credentialId is { } id
            ? await CredentialFor(scope, id, request.Integration, "credentialId", context.CancellationToken)
            : SyncRules.DefaultCredential(await store.ListCredentialsAsync(scope, request.Integration, context.CancellationToken), request.Integration);

        var configurationName = string.IsNullOrWhiteSpace(request.ConfigurationName) ? DefaultConfigurationName : request.ConfigurationName;
        var (sync, initialRun) = SyncRules.Enable(scope, request.Integration, request.Pipeline, configurationName,
            CanonicalJson.Normalize(configurationJson), credential.Id, frequency, Now());
        var (stored, created) = await store.InsertSyncAsync(sync, initialRun, context.CancellationToken);
        if (!created)
        {
            SyncRules.EnsureRepeatedEnable(stored, sync, credentialId, frequency);
        }
        var snapshot = await store.GetSyncAsync(scope, stored.Id, context.CancellationToken);
        return (snapshot ?? new SyncSnapshot(stored, [])).ToProto();
    }

    public override async Task<ListSyncsResponse> ListSyncs(ListSyncsRequest request, ServerCallContext context)
    {
        var v = new Violations();
        var credentialId = v.Uuid("credentialId", request.HasCredentialId ? request.CredentialId : null, required: false);
        v.ThrowIfAny();
        var syncs = await store.ListSyncsAsync(context.Caller(), credentialId, context.CancellationToken);
        var response = new ListSyncsResponse();
        response.Data.AddRange(syncs.Select(s => s.ToProto()));
        return response;
    }

    public override async Task<Sync> GetSync(GetSyncRequest request, ServerCallContext context)
    {
        var id = SyncId(request.SyncId);
        var snapshot = await store.GetSyncAsync(context.Caller(), id, context.CancellationToken)
            ?? throw DomainException.SyncNotFound(request.SyncId);
        return snapshot.ToProto();
    }

    public override async Task<UpdateSyncResponse> UpdateSync(UpdateSyncRequest request, ServerCallContext context)
    {
        var scope = context.Caller();
        var v = new Violations();
        var syncId = v.Uuid("syncId", request.SyncId, required: true);
        if (!request.HasCredentialId && !request.HasIncrementalAccumulatorFrequency)
        {
            v.Add("body", "Provide at least one field to update: credentialId or incrementalAccumulatorFrequency.");
        }
        var credentialId = request.HasCredentialId ? v.Uuid("credentialId", request.CredentialId, required: true) : null;
        var frequency = v.Frequency("incrementalAccumulatorFrequency", request.HasIncrementalAccumulatorFrequency ? request.IncrementalAccumulatorFrequency : null);
        v.ThrowIfAny();

        if (credentialId is { } newCredential)
        {
            // The credential must fit the Sync's integration, so read the Sync first (only on this path: a
            // frequency change is one store transaction). Checked even when it is the Sync's own credential:
            // a deleted one is 404, not "accepted". The store checks again, in the write, that it is still live.
            var current = await store.GetSyncAsync(scope, syncId!.Value, context.CancellationToken)
                ?? throw DomainException.SyncNotFound(request.SyncId);
            await CredentialFor(scope, newCredential, current.Sync.Integration, "credentialId", context.CancellationToken);
        }

        var command = new UpdateSyncCommand(credentialId, frequency, ExpectedETag(request, context), scope.UserId);
        _ = await store.MutateSyncAsync(scope, syncId!.Value, s => SyncRules.Update(s, command, Now()), context.CancellationToken)
            ?? throw DomainException.SyncNotFound(request.SyncId);

        var data = new UpdateSyncData();
        if (request.HasCredentialId)
        {
            data.CredentialId = request.CredentialId;
        }
        if (request.HasIncrementalAccumulatorFrequency)
        {
            data.IncrementalAccumulatorFrequency = request.IncrementalAccumulatorFrequency;
        }
        return new UpdateSyncResponse { Id = syncId.Value.ToString(), Data = data, Message = UpdateAcceptedMessage };
    }

    public override async Task<Sync> DisableSync(DisableSyncRequest request, ServerCallContext context) =>
        await Mutate(request.SyncId, context, s => SyncRules.Disable(s, Now()));

    public override async Task<Sync> ReenableSync(ReenableSyncRequest request, ServerCallContext context)
    {
        var scope = context.Caller();
        var current = await store.GetSyncAsync(scope, SyncId(request.SyncId), context.CancellationToken)
            ?? throw DomainException.SyncNotFound(request.SyncId);
        // The credential is read only for a stopped Sync: re-enabling a running one changes nothing.
        var credential = SyncRules.IsStopped(current.Sync.Status) && current.Sync.CredentialId is { } credentialId
            ? await store.GetCredentialAsync(scope, credentialId, context.CancellationToken)
            : null;
        SyncRules.EnsureCanReenable(current.Sync, credential);
        return await Mutate(request.SyncId, context, s => SyncRules.Reenable(s, Now()));
    }

    public override async Task<DeleteSyncResponse> DeleteSync(DeleteSyncRequest request, ServerCallContext context)
    {
        var id = SyncId(request.SyncId);
        if (!await store.DeleteSyncAsync(context.Caller(), id, Now(), context.CancellationToken))
        {
            throw DomainException.SyncNotFound(request.SyncId);
        }
        return new DeleteSyncResponse { Id = id.ToString(), Message = "Sync successfully deleted" };
    }

    public override async Task<ListSyncRunsResponse> ListSyncRuns(ListSyncRunsRequest request, ServerCallContext context)
    {
        var scope = context.Caller();
        var v = new Violations();
        var syncId = v.Uuid("syncId", request.SyncId, required: true);
        if (request.PageSize is < 0 or > RunPageToken.MaxPageSize)
        {
            v.Add("pageSize", $"pageSize must be between 1 and {RunPageToken.MaxPageSize} (0 or absent means {RunPageToken.DefaultPageSize}).");
        }
        v.ThrowIfAny();
        RunPosition? after = null;
        long? tokenIncarnation = null;
        if (!string.IsNullOrEmpty(request.PageToken))
        {
            if (!RunPageToken.TryDecode(request.PageToken, out var incarnation, out var position))
            {
                throw DomainException.CursorExpired("pageToken");
            }
            (after, tokenIncarnation) = (position, incarnation);
        }

        var pageSize = request.PageSize == 0 ? RunPageToken.DefaultPageSize : request.PageSize;
        // One extra row tells whether another page follows.
        var page = await store.ListRunsAsync(scope, syncId!.Value, pageSize + 1, after, context.CancellationToken)
            ?? throw DomainException.SyncNotFound(request.SyncId);
        // Checked against the life whose runs were just read (same snapshot), so a delete and enable
        // between two pages can never hand out a page of the new life positioned by the old one.
        if (tokenIncarnation is { } expected && expected != page.Incarnation)
        {
            throw DomainException.CursorExpired("pageToken");
        }
        var response = new ListSyncRunsResponse();
        response.Runs.AddRange(page.Runs.Take(pageSize).Select(r => r.ToProto()));
        if (page.Runs.Count > pageSize)
        {
            var last = page.Runs[pageSize - 1];
            response.NextPageToken = RunPageToken.Encode(page.Incarnation, new RunPosition(last.CreatedAt, last.Id));
        }
        return response;
    }

    public override async Task<SyncRun> TriggerSync(TriggerSyncRequest request, ServerCallContext context)
    {
        var type = request.Type switch
        {
            SyncRunType.Unspecified or SyncRunType.Incremental => RunType.Incremental,
            SyncRunType.Full => RunType.Full,
            _ => throw DomainException.Invalid("type", "type must be INCREMENTAL (the default) or FULL."),
        };
        var id = SyncId(request.SyncId);
        var change = await store.MutateSyncAsync(context.Caller(), id, s => RunRules.Trigger(s, type, Now()), context.CancellationToken)
            ?? throw DomainException.SyncNotFound(request.SyncId);
        return change.Result.ToProto();
    }

    public override async Task<SyncRun> CancelSyncRun(CancelSyncRunRequest request, ServerCallContext context)
    {
        var v = new Violations();
        var syncId = v.Uuid("syncId", request.SyncId, required: true);
        var runId = v.Uuid("runId", request.RunId, required: true);
        v.ThrowIfAny();
        var scope = context.Caller();
        // 404 for a run that never existed; RunRules.Cancel answers FAILED_PRECONDITION for a finished one.
        if (await store.GetRunAsync(scope, syncId!.Value, runId!.Value, context.CancellationToken) is null)
        {
            _ = await store.GetSyncAsync(scope, syncId.Value, context.CancellationToken) ?? throw DomainException.SyncNotFound(request.SyncId);
            throw new DomainException(ErrorKind.NotFound, "RUN_NOT_FOUND", $"Run not found: {request.RunId}");
        }
        var change = await store.MutateSyncAsync(scope, syncId.Value, s => RunRules.Cancel(s, runId.Value, Now()), context.CancellationToken)
            ?? throw DomainException.SyncNotFound(request.SyncId);
        return change.Result.ToProto();
    }

    public override Task<ListSyncEventsResponse> ListSyncEvents(ListSyncEventsRequest request, ServerCallContext context) =>
        events.List(context.Caller(), request, context.CancellationToken);

    public override Task WatchSyncEvents(WatchSyncEventsRequest request, IServerStreamWriter<StreamedEvent> responseStream,
        ServerCallContext context) =>
        eventStream.Watch(context.Caller(), request, responseStream, context);

    public override Task<ListSyncedRecordsResponse> ListSyncedRecords(ListSyncedRecordsRequest request, ServerCallContext context) =>
        records.List(context.Caller(), request, context.CancellationToken);

    public override Task<GetSyncedRecordResponse> GetSyncedRecord(GetSyncedRecordRequest request, ServerCallContext context) =>
        records.Get(context.Caller(), request, context.CancellationToken);

    public override Task GetSyncedRecordContent(GetSyncedRecordContentRequest request, IServerStreamWriter<Google.Api.HttpBody> responseStream,
        ServerCallContext context) =>
        content.Stream(context.Caller(), request, responseStream, context);

    /// <summary>The integration must have a connector here, serving the pipeline, accepting the configuration.</summary>
    private void ValidateAgainstConnector(EnableSyncRequest request)
    {
        if (!connectors.TryGet(request.Integration, out var connector))
        {
            throw DomainException.Invalid("integration",
                $"Unknown integration '{request.Integration}'; this server has: {string.Join(", ", connectors.Integrations.Order())}.");
        }
        if (!connector.Pipelines.Contains(request.Pipeline))
        {
            throw DomainException.Invalid("pipeline",
                $"Integration '{request.Integration}' has no pipeline '{request.Pipeline}'; it has: {string.Join(", ", connector.Pipelines.Order())}.");
        }
        var json = request.Configuration is null ? "{}" : JsonFormatter.Default.Format(request.Configuration);
        using var configuration = System.Text.Json.JsonDocument.Parse(json);
        var problems = connector.ValidateConfiguration(request.Pipeline, configuration.RootElement);
        if (problems.Count > 0)
        {
            var v = new Violations();
            foreach (var problem in problems)
            {
                v.Add(problem.Field, problem.Description);
            }
            v.ThrowIfAny();
        }
    }

    private async Task<Sync> Mutate(string rawId, ServerCallContext context, Func<SyncSnapshot, SyncChange<Domain.Sync>> decide)
    {
        var scope = context.Caller();
        var id = SyncId(rawId);
        _ = await store.MutateSyncAsync(scope, id, decide, context.CancellationToken)
            ?? throw DomainException.SyncNotFound(rawId);
        var snapshot = await store.GetSyncAsync(scope, id, context.CancellationToken) ?? throw DomainException.SyncNotFound(rawId);
        return snapshot.ToProto();
    }

    /// <summary>A credential the caller may bind: theirs, not deleted, of the Sync's integration.</summary>
    private async Task<Credential> CredentialFor(Scope scope, Guid id, string integration, string field, CancellationToken ct)
    {
        var credential = await store.GetCredentialAsync(scope, id, ct)
            ?? throw new DomainException(ErrorKind.NotFound, "CREDENTIAL_NOT_FOUND", $"Credential not found: {id}",
                [new FieldViolation(field, $"No credential {id} exists for this user.")]);
        if (credential.Integration != integration)
        {
            throw new DomainException(ErrorKind.FailedPrecondition, "CREDENTIAL_INTEGRATION_MISMATCH",
                $"Credential {id} belongs to integration '{credential.Integration}', but the Sync is for '{integration}'.",
                [new FieldViolation(field, $"The credential must be of integration '{integration}'.")]);
        }
        return credential;
    }

    /// <summary>The etag from the body, else from the <c>If-Match</c> header (REST) or metadata (gRPC).</summary>
    private static string? ExpectedETag(UpdateSyncRequest request, ServerCallContext context)
    {
        if (request.HasEtag && !string.IsNullOrWhiteSpace(request.Etag))
        {
            return request.Etag;
        }
        var header = context.GetHttpContext().Request.Headers.IfMatch.ToString();
        return string.IsNullOrWhiteSpace(header) || header.Trim() == "*" ? null : header;
    }

    /// <summary>Now, at the store's precision (milliseconds), so answers match later reads.</summary>
    private DateTimeOffset Now() => time.GetUtcNow().TruncateToMilliseconds();

    private static Guid SyncId(string raw)
    {
        var v = new Violations();
        var id = v.Uuid("syncId", raw, required: true);
        v.ThrowIfAny();
        return id!.Value;
    }
}
