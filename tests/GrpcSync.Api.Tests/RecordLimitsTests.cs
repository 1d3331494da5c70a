using System.Security.Cryptography;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests;

/// <summary>
/// The README's record limits, on Syncs big enough to reach them: the default page size (100), the
/// largest page (1000, of more than 1000 records) and the 64 MiB cap on GetSyncedRecordContent.
/// </summary>
public abstract class RecordLimitsTests(EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteEngineServer server) : RecordLimitsTests(server), IClassFixture<SqliteEngineServer>;

    public sealed class OnPostgres(PostgresEngineServer server) : RecordLimitsTests(server), IClassFixture<PostgresEngineServer>;

    private const int FileCount = 1105;
    private const int ContentCap = 64 * 1024 * 1024;

    private static void ManyFiles(AccountDirectory account)
    {
        for (var i = 0; i < FileCount; i++)
        {
            account.Write($"f{i:D4}.txt", "x");
        }
    }

    [Theory, BothTransports]
    public async Task ListSyncedRecords_OfMoreThan1000Records_Pages100ByDefault_AndAtMost1000(Transport transport)
    {
        var synced = await NewSyncedAccount(ManyFiles);

        var byDefault = (await synced.User.ListSyncedRecords(transport, synced.SyncId)).Ok();
        Assert.Equal(100, byDefault.Data.Count);
        Assert.Equal(FileCount - 100, byDefault.Paging.RemainingRecords);

        var largest = (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 1000)).Ok();
        Assert.Equal(1000, largest.Data.Count);
        Assert.Equal(FileCount - 1000, largest.Paging.RemainingRecords);
        Assert.Equal(byDefault.Data.Select(r => r.Id()), largest.Data.Take(100).Select(r => r.Id()));

        var rest = (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 1000, cursor: largest.Paging.Cursor)).Ok();
        Assert.Equal(FileCount - 1000, rest.Data.Count);
        Assert.Equal(0, rest.Paging.RemainingRecords);

        (await synced.User.ListSyncedRecords(transport, synced.SyncId, pageSize: 1001)).Fails(StatusCode.InvalidArgument).Violation("pageSize");
    }

    [Fact]
    public async Task GetSyncedRecordContent_Of64MiB_IsServed_AndOneByteMore_IsFailedPreconditionContentTooLarge()
    {
        var synced = await NewSyncedAccount(account =>
        {
            var bytes = new byte[ContentCap + 1];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)(i * 31 + (i >> 12));
            }
            account.Write("at-the-cap.bin", bytes.AsSpan(0, ContentCap).ToArray());
            account.Write("over-the-cap.bin", bytes);
        });
        var records = (await synced.User.ListSyncedRecords(Transport.Grpc, synced.SyncId)).Ok().Data;

        // Exactly 64 MiB is served, byte for byte (over REST: a gRPC client refuses messages over 4 MB by default).
        var served = (await synced.User.GetSyncedRecordContent(Transport.Rest, synced.SyncId, records.ByExternalId("at-the-cap.bin").Id())).Ok();
        Assert.Equal(ContentCap, served.Data.Length);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(synced.Account.PathOf("at-the-cap.bin"))), SHA256.HashData(served.Data.Span));

        foreach (var transport in new[] { Transport.Rest, Transport.Grpc })
        {
            var refused = await synced.User.GetSyncedRecordContent(transport, synced.SyncId, records.ByExternalId("over-the-cap.bin").Id());
            var error = refused.Fails(StatusCode.FailedPrecondition);
            Assert.Equal("CONTENT_TOO_LARGE", error.Reason());
            Assert.Contains("64 MiB", error.Message);
        }
    }
}
