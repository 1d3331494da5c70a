using System.Security.Cryptography;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests;

/// <summary>
/// The README's record limits, on Syncs big enough to reach them: the default page size (100), the
/// largest page (1000, of more than 1000 records), and content past the 64 MiB that once was its cap.
/// </summary>
public abstract class RecordLimitsTests(EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteEngineServer server) : RecordLimitsTests(server), IClassFixture<SqliteEngineServer>;

    public sealed class OnPostgres(PostgresEngineServer server) : RecordLimitsTests(server), IClassFixture<PostgresEngineServer>;

    private const int FileCount = 1105;
    /// <summary>The cap content had while it was one HttpBody message; streamed content has none.</summary>
    private const int OldContentCap = 64 * 1024 * 1024;

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

    [Theory, BothTransports]
    public async Task GetSyncedRecordContent_HasNoSizeCap_MoreThanTheOld64MiBIsStreamedWhole(Transport transport)
    {
        var synced = await NewSyncedAccount(account =>
        {
            var bytes = new byte[OldContentCap + 1];
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)(i * 31 + (i >> 12));
            }
            account.Write("over-the-old-cap.bin", bytes);
        });
        var records = (await synced.User.ListSyncedRecords(Transport.Grpc, synced.SyncId)).Ok().Data;

        var served = await synced.User.DownloadContent(transport, synced.SyncId, records.ByExternalId("over-the-old-cap.bin").Id());

        var bytes = served.Ok();
        Assert.Equal(OldContentCap + 1, bytes.Length);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(synced.Account.PathOf("over-the-old-cap.bin"))), SHA256.HashData(bytes));
    }
}
