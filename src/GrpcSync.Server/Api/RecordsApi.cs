using Google.Protobuf.WellKnownTypes;
using GrpcSync.Domain;
using GrpcSync.Storage;
using GrpcSync.V1;

namespace GrpcSync.Server.Api;

/// <summary>
/// The records part of SyncService: pulling pages and one record (a file's content is <see cref="RecordContentApi"/>).
/// Kept apart from <see cref="SyncApi"/> so each reads in one screen; SyncApi delegates to it.
/// </summary>
public sealed class RecordsApi(IRecordStore records)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public async Task<ListSyncedRecordsResponse> List(Scope scope, ListSyncedRecordsRequest request, CancellationToken ct)
    {
        var v = new Violations();
        var syncId = v.Uuid("syncId", request.SyncId, required: true);
        // `pageSize` (and `page_size`, which binds to the same field) or `limit`, as Paragon's clients send them.
        var (pageSize, field) = request.PageSize != 0 ? (request.PageSize, "pageSize") : (request.Limit, "limit");
        if (pageSize is < 0 or > MaxPageSize)
        {
            v.Add(field, $"{field} must be between 1 and {MaxPageSize} (absent means {DefaultPageSize}).");
        }
        v.ThrowIfAny();
        long after = 0;
        long? cursorIncarnation = null;
        if (!string.IsNullOrEmpty(request.Cursor))
        {
            if (!RecordCursor.TryDecode(request.Cursor, out var incarnation, out after))
            {
                throw DomainException.CursorExpired("cursor");
            }
            cursorIncarnation = incarnation;
        }

        var limit = pageSize == 0 ? DefaultPageSize : pageSize;
        var page = await records.ListRecordsAsync(scope, syncId!.Value, after, limit, ct)
            ?? throw DomainException.SyncNotFound(request.SyncId);
        // The sequence restarts with every life of the Sync: an old life's position would skip the new
        // life's records. Checked against the incarnation read with the page (one snapshot).
        if (cursorIncarnation is { } expected && expected != page.Incarnation)
        {
            throw DomainException.CursorExpired("cursor");
        }
        var lastSeen = page.Records.Count > 0 ? page.Records[^1].Sequence : after;
        var response = new ListSyncedRecordsResponse
        {
            Paging = new RecordsPaging
            {
                TotalRecords = page.TotalRecords,
                TotalActiveRecords = page.TotalActiveRecords,
                RemainingRecords = page.RemainingAfterPage,
                LastSeen = lastSeen,
                // An empty page keeps the caller's position, so it can poll with the same cursor.
                Cursor = lastSeen > 0 ? RecordCursor.Encode(page.Incarnation, lastSeen) : "",
            },
        };
        response.Data.AddRange(page.Records.Select(ToStruct));
        return response;
    }

    public async Task<GetSyncedRecordResponse> Get(Scope scope, GetSyncedRecordRequest request, CancellationToken ct)
    {
        var (syncId, recordId) = Ids(request.SyncId, request.RecordId);
        var record = await records.GetRecordAsync(scope, syncId, recordId, ct)
            ?? throw RecordNotFound(request.RecordId);
        return new GetSyncedRecordResponse { Data = ToStruct(record) };
    }

    /// <summary>A record as callers see it: id and externalId first, the pipeline's fields, then syncedAt and deleted.</summary>
    public static Struct ToStruct(SyncRecord record)
    {
        var fields = Struct.Parser.ParseJson(record.DataJson);
        var result = new Struct();
        result.Fields["id"] = Value.ForString(record.Id.ToString());
        result.Fields["externalId"] = Value.ForString(record.ExternalId);
        foreach (var (key, value) in fields.Fields)
        {
            if (key is not ("id" or "externalId" or "syncedAt" or "deleted"))
            {
                result.Fields[key] = value;
            }
        }
        result.Fields["syncedAt"] = Value.ForString(record.SyncedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));
        result.Fields["deleted"] = Value.ForBool(record.Deleted);
        return result;
    }

    private static (Guid SyncId, Guid RecordId) Ids(string syncId, string recordId)
    {
        var v = new Violations();
        var sync = v.Uuid("syncId", syncId, required: true);
        var record = v.Uuid("recordId", recordId, required: true);
        v.ThrowIfAny();
        return (sync!.Value, record!.Value);
    }

    private static DomainException RecordNotFound(string recordId) =>
        new(ErrorKind.NotFound, "RECORD_NOT_FOUND", $"Record not found: {recordId}");
}
