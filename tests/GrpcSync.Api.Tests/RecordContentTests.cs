using System.Globalization;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using static GrpcSync.Api.Tests.ContentStreams;

namespace GrpcSync.Api.Tests;

/// <summary>
/// GetSyncedRecordContent of a filesystem Sync: streamed whole or by one range (206, Content-Range), 416 for a
/// range that selects nothing, and what a Range header this server does not serve turns into.
/// </summary>
public abstract class RecordContentTests(EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteEngineServer server) : RecordContentTests(server), IClassFixture<SqliteEngineServer>;

    public sealed class OnPostgres(PostgresEngineServer server) : RecordContentTests(server), IClassFixture<PostgresEngineServer>;

    private static readonly byte[] Big = Pattern(MultiMiB);

    private async Task<(TestUser User, string SyncId, string RecordId)> SyncedBigFile()
    {
        var synced = await NewSyncedAccount(account =>
        {
            account.Write("big.bin", Big);
            account.Write("empty.bin", "");
        });
        var records = (await synced.User.ListSyncedRecords(Transport.Grpc, synced.SyncId)).Ok().Data;
        return (synced.User, synced.SyncId, records.ByExternalId("big.bin").Id());
    }

    [Theory, BothTransports]
    public async Task AMultiMiBFile_IsStreamedWhole_WithItsLength(Transport transport)
    {
        var (user, syncId, recordId) = await SyncedBigFile();

        var download = await user.DownloadContent(transport, syncId, recordId);

        Assert.True(Big.AsSpan().SequenceEqual(download.Ok()), $"{download.Bytes.Length} bytes differ from the file's {Big.Length}");
        Assert.Equal(Big.Length, download.ContentLength);
        Assert.Null(download.ContentRange);
        Assert.Equal("application/octet-stream", download.ContentType);
        if (transport == Transport.Grpc)
        {
            // 64 KiB chunks: the stream never carried the file in one message.
            Assert.Equal((Big.Length + 65535) / 65536, download.Chunks);
        }
    }

    [Theory, BothTransports]
    public async Task ARange_IsServedAsPartialContent_FirstMiddleSuffixAndOpenEnded(Transport transport)
    {
        var (user, syncId, recordId) = await SyncedBigFile();

        foreach (var (range, first, last) in Ranges(Big.Length))
        {
            AssertSlice(await user.DownloadContent(transport, syncId, recordId, range), Big, first, last, range);
        }
    }

    [Fact]
    public async Task ARangeQueryParameter_IsTheRangeField()
    {
        var (user, syncId, recordId) = await SyncedBigFile();

        AssertSlice(await user.DownloadContent(Transport.Rest, syncId, recordId, "bytes=10-19", rangeAsField: true), Big, 10, 19, "bytes=10-19");
    }

    [Theory, BothTransports]
    public async Task ARangePastTheEnd_Is416WithTheLength_OrOutOfRange(Transport transport)
    {
        var (user, syncId, recordId) = await SyncedBigFile();
        var range = string.Create(CultureInfo.InvariantCulture, $"bytes={Big.Length}-");

        var download = await user.DownloadContent(transport, syncId, recordId, range);

        Assert.Equal(StatusCode.OutOfRange, download.Code);
        var error = download.Failure!.Error!;
        Assert.Equal("RANGE_NOT_SATISFIABLE", error.Reason());
        if (transport == Transport.Rest)
        {
            Assert.Equal(416, download.HttpStatus);
            Assert.Equal($"bytes */{Big.Length}", download.ContentRange);
            Assert.StartsWith("application/json", download.ContentType, StringComparison.Ordinal);
        }
    }

    [Theory, BothTransports]
    public async Task AnyRangeOfAnEmptyFile_IsUnsatisfiable(Transport transport)
    {
        var (user, syncId, _) = await SyncedBigFile();
        var records = (await user.ListSyncedRecords(Transport.Grpc, syncId)).Ok().Data;
        var empty = records.ByExternalId("empty.bin").Id();

        Assert.Empty((await user.DownloadContent(transport, syncId, empty)).Ok());
        Assert.Equal(StatusCode.OutOfRange, (await user.DownloadContent(transport, syncId, empty, "bytes=-5")).Code);
    }

    [Theory]
    [InlineData("bytes=0-9,20-29")] // several ranges: not served (no multipart/byteranges)
    [InlineData("items=0-9")]
    [InlineData("bytes=9-0")]
    [InlineData("bytes=abc")]
    public async Task ARangeHeaderThisServerDoesNotServe_IsIgnored_AndTheWholeContentSent(string range)
    {
        var (user, syncId, recordId) = await SyncedBigFile();

        var download = await user.DownloadContent(Transport.Rest, syncId, recordId, range);

        Assert.Equal(Big.Length, download.Ok().Length);
        Assert.Null(download.ContentRange);
    }

    [Fact]
    public async Task ARangeWithIfRange_IsIgnored_SinceTheValidatorIsNotChecked()
    {
        var (user, syncId, recordId) = await SyncedBigFile();

        var download = await user.DownloadContent(Transport.Rest, syncId, recordId, "bytes=0-9", headers: [("If-Range", "\"some-etag\"")]);

        Assert.Equal(Big.Length, download.Ok().Length);
    }

    [Theory, BothTransports]
    public async Task AMalformedRangeField_IsInvalidArgument(Transport transport)
    {
        var (user, syncId, recordId) = await SyncedBigFile();

        foreach (var range in new[] { "bytes=0-9,20-29", "0-9", "bytes=-0", "bytes=99999999999999999999-" })
        {
            var download = await user.DownloadContent(transport, syncId, recordId, range, rangeAsField: true);
            download.Failure!.Fails(StatusCode.InvalidArgument).Violation("range");
        }
    }

    [Fact]
    public async Task TheRangeFieldAndTheRangeHeaderTogether_AreInvalidArgument()
    {
        var (user, syncId, recordId) = await SyncedBigFile();

        var download = await user.DownloadContent(Transport.Rest, syncId, recordId, "bytes=0-9", rangeAsField: true, headers: [("Range", "bytes=0-9")]);

        download.Failure!.Fails(StatusCode.InvalidArgument).Violation("range");
    }

    [Theory, BothTransports]
    public async Task ErrorsBeforeTheFirstByte_KeepTheErrorShape_EvenWithARange(Transport transport)
    {
        var (user, syncId, _) = await SyncedBigFile();

        var missing = await user.DownloadContent(transport, syncId, Guid.NewGuid().ToString(), "bytes=0-9");
        Assert.Equal("RECORD_NOT_FOUND", missing.Failure!.Fails(StatusCode.NotFound).Reason());

        var stranger = NewUser();
        var records = (await user.ListSyncedRecords(Transport.Grpc, syncId)).Ok().Data;
        (await stranger.DownloadContent(transport, syncId, records.ByExternalId("big.bin").Id(), "bytes=0-9")).Failure!.Fails(StatusCode.NotFound);
    }
}
