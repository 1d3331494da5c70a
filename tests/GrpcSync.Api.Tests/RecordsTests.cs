using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>
/// Reading synced records (ListSyncedRecords, GetSyncedRecord, GetSyncedRecordContent) of a real
/// filesystem Sync that the engine ran.
/// </summary>
public abstract class RecordsTests(EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteEngineServer server) : RecordsTests(server), IClassFixture<SqliteEngineServer>;

    public sealed class OnPostgres(PostgresEngineServer server) : RecordsTests(server), IClassFixture<PostgresEngineServer>;

    [Theory, BothTransports]
    public async Task ListSyncedRecords_ReturnsEveryFileAndFolderWithItsFields(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var account = synced.Account;

        var outcome = await synced.User.ListSyncedRecords(transport, synced.SyncId);

        var page = outcome.Ok();
        Assert.Equal(StandardExternalIds, page.Data.Select(r => r.ExternalId()).Order(StringComparer.Ordinal).ToArray());
        foreach (var record in page.Data)
        {
            var externalId = record.ExternalId();
            Assert.True(Guid.TryParse(record.Id(), out _), record.ToString());
            Assert.Equal(externalId.Split('/')[^1], record.Str("name"));
            Assert.Equal(externalId.Contains('/') ? externalId[..externalId.LastIndexOf('/')] : "", record.Str("parentFolderId"));
            Assert.False(record.Deleted(), record.ToString());
            Assert.True(DateTimeOffset.TryParse(record.Str("syncedAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var syncedAt), record.ToString());
            Assert.True(syncedAt <= DateTimeOffset.UtcNow.AddSeconds(5), record.ToString());
            Assert.True(syncedAt >= synced.Sync.DateCreated.ToDateTimeOffset().AddSeconds(-1), record.ToString());
            Assert.Equal(Value.KindOneofCase.StringValue, record.Fields["createdAt"].KindCase);
            Assert.Equal(Value.KindOneofCase.StringValue, record.Fields["updatedAt"].KindCase);
            if (Directory.Exists(account.PathOf(externalId)))
            {
                Assert.Equal("inode/directory", record.Str("mimeType"));
                Assert.Equal(0, record.Size());
            }
            else
            {
                var bytes = File.ReadAllBytes(account.PathOf(externalId));
                Assert.Equal(bytes.Length, record.Size());
                Assert.Equal(AccountDirectory.Sha256(bytes), record.Sha256());
            }
        }
        Assert.Equal("text/plain", page.Data.ByExternalId("readme.txt").Str("mimeType"));
        Assert.Equal("application/json", page.Data.ByExternalId("data.json").Str("mimeType"));
        Assert.Equal("text/csv", page.Data.ByExternalId("docs/report.csv").Str("mimeType"));
        Assert.Equal("image/png", page.Data.ByExternalId("docs/nested/image.png").Str("mimeType"));
        Assert.Equal("application/octet-stream", page.Data.ByExternalId("empty.bin").Str("mimeType"));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", page.Data.ByExternalId("empty.bin").Sha256());
        Assert.Equal(page.Data.Count, page.Data.Select(r => r.Id()).Distinct().Count());

        Assert.Equal(7, page.Paging.TotalRecords);
        Assert.Equal(7, page.Paging.TotalActiveRecords);
        Assert.Equal(0, page.Paging.RemainingRecords);
        Assert.NotEmpty(page.Paging.Cursor);
        Assert.True(page.Paging.LastSeen > 0, page.Paging.ToString());

        var sync = await synced.User.Get(synced.SyncId);
        Assert.Equal(7, sync.Summary.TotalRecords);
        Assert.Equal(7, sync.Summary.SyncedRecordsCount);
        Assert.Equal(page.Paging.Cursor, sync.Summary.LatestCursor);

        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal(new[] { "data", "paging" }, json.Keys());
            var paging = json.GetProperty("paging");
            foreach (var counter in new[] { "totalRecords", "totalActiveRecords", "remainingRecords", "lastSeen" })
            {
                Assert.Equal(JsonValueKind.Number, paging.GetProperty(counter).ValueKind);
            }
            Assert.Equal(0, paging.GetProperty("remainingRecords").GetInt64());
            Assert.Equal(JsonValueKind.String, paging.GetProperty("cursor").ValueKind);
            var readme = json.GetProperty("data").EnumerateArray().Single(r => r.GetProperty("externalId").GetString() == "readme.txt");
            Assert.Equal(JsonValueKind.False, readme.GetProperty("deleted").ValueKind);
            Assert.Equal(JsonValueKind.Number, readme.GetProperty("size").ValueKind);
            Assert.Equal(JsonValueKind.String, readme.GetProperty("hash").GetProperty("sha256").ValueKind);
        }
    }

    [Theory, BothTransports]
    public async Task ListSyncedRecords_InPagesOfTwo_ChainsCursorsUntilNothingRemains(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var seen = new List<string>();
        var cursor = "";
        var pages = 0;

        while (true)
        {
            var page = (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 2, cursor: cursor)).Ok();
            pages++;
            Assert.True(pages <= 10, "The cursor does not advance.");
            Assert.InRange(page.Data.Count, 1, 2);
            seen.AddRange(page.Data.Select(r => r.Id()));
            Assert.Equal(7, page.Paging.TotalRecords);
            Assert.Equal(7, page.Paging.TotalActiveRecords);
            Assert.Equal(7 - seen.Count, page.Paging.RemainingRecords);
            Assert.NotEqual(cursor, page.Paging.Cursor);
            cursor = page.Paging.Cursor;
            if (page.Paging.RemainingRecords == 0)
            {
                break;
            }
        }

        Assert.Equal(4, pages);
        Assert.Equal(7, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        var all = (await synced.User.ListSyncedRecords(transport, synced.SyncId)).Ok();
        Assert.Equal(all.Data.Select(r => r.Id()), seen); // the same records in the same (change) order

        // Past the end: an empty page that keeps the caller's position.
        var end = (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 2, cursor: cursor)).Ok();
        Assert.Empty(end.Data);
        Assert.Equal(0, end.Paging.RemainingRecords);
        Assert.Equal(cursor, end.Paging.Cursor);
        Assert.Equal(all.Paging.LastSeen, end.Paging.LastSeen);
    }

    [Theory]
    [InlineData("page_size")]
    [InlineData("limit")]
    public async Task ListSyncedRecords_OverRest_TakesThePageSizeAsPageSizeOrLimitToo(string parameter)
    {
        var synced = await NewSyncedAccount();
        var expected = (await synced.User.ListSyncedRecords(Transport.Rest, synced.SyncId, pageSize: 2)).Ok();

        var page = (await synced.User.ListSyncedRecords(Transport.Rest, synced.SyncId, pageSize: 2, sizeParameter: parameter)).Ok();
        var next = (await synced.User.ListSyncedRecords(Transport.Rest, synced.SyncId, pageSize: 2, cursor: page.Paging.Cursor,
            sizeParameter: parameter)).Ok();

        Assert.Equal(2, page.Data.Count);
        Assert.Equal(expected.Data.Select(r => r.Id()), page.Data.Select(r => r.Id()));
        Assert.Equal(expected.Paging, page.Paging);
        Assert.Equal(2, next.Data.Count);
        Assert.Equal(3, next.Paging.RemainingRecords);
        Assert.Empty(next.Data.Select(r => r.Id()).Intersect(page.Data.Select(r => r.Id())));
    }

    [Fact]
    public async Task ListSyncedRecords_OverGrpc_TakesThePageSizeAsLimitToo()
    {
        var synced = await NewSyncedAccount();

        var page = (await synced.User.ListSyncedRecords(Transport.Grpc, synced.SyncId, pageSize: 2, sizeParameter: "limit")).Ok();

        Assert.Equal(2, page.Data.Count);
        Assert.Equal(5, page.Paging.RemainingRecords);
    }

    [Theory, BothTransports]
    public async Task ListSyncedRecords_WithAPageSizeAboveTheMaximum_IsInvalidArgument(Transport transport)
    {
        var synced = await NewSyncedAccount();

        // The boundary itself: 1000 is the maximum, 1001 the first size refused (under both names).
        var outcome = await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 1001);

        Assert.Contains("1000", outcome.Fails(StatusCode.InvalidArgument).Violation("pageSize"));
        (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 1000)).Ok();
        (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 1000, sizeParameter: "limit")).Ok();
        (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: -1)).Fails(StatusCode.InvalidArgument);
        (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 1001, sizeParameter: "limit")).Fails(StatusCode.InvalidArgument)
            .Violation("limit");
    }

    [Theory, BothTransports]
    public async Task ListSyncedRecords_WithACursorItDidNotIssue_IsCursorExpired(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var issued = (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 2)).Ok().Paging.Cursor;
        Assert.True(issued.Length > 0);

        foreach (var cursor in new[]
        {
            "garbage",
            Convert.ToBase64String(Encoding.ASCII.GetBytes("cursor:-1")),
            Convert.ToBase64String(Encoding.ASCII.GetBytes("cursor:2")), // the format before incarnations
            Convert.ToBase64String(Encoding.ASCII.GetBytes("cursor:1:2")), // well-formed, but no life of this Sync is 1
            " " + issued, // the issued cursor, but not in its one canonical form
        })
        {
            var error = (await synced.User.ListSyncedRecords(transport, synced.SyncId, cursor: cursor)).Fails(StatusCode.InvalidArgument);

            Assert.True(error.Reason() == "CURSOR_EXPIRED", $"{cursor}: {error}");
            Assert.Contains("start again without a cursor", error.Violation("cursor"));
        }
        // The cursor it issued still works: 7 records, 2 before it, 2 on the next page.
        Assert.Equal(3, (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 2, cursor: issued)).Ok().Paging.RemainingRecords);
    }

    [Theory, BothTransports]
    public async Task ListSyncedRecords_OfAnUnknownOrAnotherUsersSync_IsNotFound(Transport transport)
    {
        var synced = await NewSyncedAccount();

        (await NewUser().ListSyncedRecords(transport, synced.SyncId)).Fails(StatusCode.NotFound);
        (await synced.User.ListSyncedRecords(transport, Guid.NewGuid().ToString())).Fails(StatusCode.NotFound);
        (await synced.User.ListSyncedRecords(transport, "not-a-uuid")).Fails(StatusCode.InvalidArgument).Violation("syncId");
    }

    [Theory, BothTransports]
    public async Task GetSyncedRecord_ReturnsTheRecordAsListed(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var listed = (await synced.User.ListSyncedRecords(Transport.Grpc, synced.SyncId)).Ok().Data;

        foreach (var record in listed)
        {
            var outcome = await synced.User.GetSyncedRecord(transport, synced.SyncId, record.Id());

            Assert.Equal(record, outcome.Ok().Data);
            if (transport == Transport.Rest)
            {
                Assert.Equal(new[] { "data" }, outcome.RestJson().Keys());
            }
        }
    }

    [Theory, BothTransports]
    public async Task GetSyncedRecord_OfAnUnknownRecord_IsNotFound(Transport transport)
    {
        var synced = await NewSyncedAccount();

        var outcome = await synced.User.GetSyncedRecord(transport, synced.SyncId, Guid.NewGuid().ToString());

        Assert.Equal("RECORD_NOT_FOUND", outcome.Fails(StatusCode.NotFound).Reason());
        (await synced.User.GetSyncedRecord(transport, synced.SyncId, "x")).Fails(StatusCode.InvalidArgument).Violation("recordId");
    }

    [Theory, BothTransports]
    public async Task GetSyncedRecordContent_ReturnsTheExactBytesWithTheFilesContentType(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var records = (await synced.User.ListSyncedRecords(Transport.Grpc, synced.SyncId)).Ok().Data;

        foreach (var (externalId, contentType) in new[]
        {
            ("readme.txt", "text/plain"),
            ("docs/nested/image.png", "image/png"),
            ("docs/report.csv", "text/csv"),
            ("empty.bin", "application/octet-stream"),
        })
        {
            var outcome = await synced.User.GetSyncedRecordContent(transport, synced.SyncId, records.ByExternalId(externalId).Id());

            var body = outcome.Ok();
            Assert.Equal(File.ReadAllBytes(synced.Account.PathOf(externalId)), body.Data.ToByteArray());
            Assert.Equal(contentType, body.ContentType.Split(';')[0].Trim());
        }
    }

    [Theory, BothTransports]
    public async Task GetSyncedRecordContent_OfAFolder_IsNotFound(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var docs = (await synced.User.ListSyncedRecords(Transport.Grpc, synced.SyncId)).Ok().Data.ByExternalId("docs");

        var outcome = await synced.User.GetSyncedRecordContent(transport, synced.SyncId, docs.Id());

        outcome.Fails(StatusCode.NotFound);
    }

    [Theory, BothTransports]
    public async Task Records_OfAnotherUsersSync_AreNotFound(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var readme = (await synced.User.ListSyncedRecords(Transport.Grpc, synced.SyncId)).Ok().Data.ByExternalId("readme.txt");
        var stranger = NewUser();
        var strangersSync = await NewSyncedAccount(a => a.Write("mine.txt", "mine"), stranger);

        (await stranger.GetSyncedRecord(transport, synced.SyncId, readme.Id())).Fails(StatusCode.NotFound);
        (await stranger.GetSyncedRecordContent(transport, synced.SyncId, readme.Id())).Fails(StatusCode.NotFound);
        // Nor through the stranger's own Sync id.
        (await stranger.GetSyncedRecord(transport, strangersSync.SyncId, readme.Id())).Fails(StatusCode.NotFound);
        (await stranger.GetSyncedRecordContent(transport, strangersSync.SyncId, readme.Id())).Fails(StatusCode.NotFound);
        // The same user id in another project is another caller.
        var sameUserOtherProject = Server.ForUser(synced.User.UserId, ServerFixture.ProjectB);
        (await sameUserOtherProject.GetSyncedRecord(transport, synced.SyncId, readme.Id())).Fails(StatusCode.NotFound);
        // The owner still reads it.
        (await synced.User.GetSyncedRecord(transport, synced.SyncId, readme.Id())).Ok();
    }
}
