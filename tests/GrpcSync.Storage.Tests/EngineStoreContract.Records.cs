using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>Records as callers pull them.</summary>
public abstract partial class EngineStoreContract
{
    // ================= Pulling records =================

    [Fact]
    public async Task ListRecords_PagesBySequence_AndARecordChangedMeanwhileComesAgainLater()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, Upserts(sync.Id, "a", "b", "c", "d", "e"), T0.AddSeconds(2)));
        var pulled = new List<SyncRecord>();

        var page1 = (await Records.ListRecordsAsync(Alice, sync.Id, 0, 2))!;
        pulled.AddRange(page1.Records);
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a", "v2")], T0.AddSeconds(3))); // a was already pulled
        var page2 = (await Records.ListRecordsAsync(Alice, sync.Id, page1.Records[^1].Sequence, 2))!;
        pulled.AddRange(page2.Records);
        var page3 = (await Records.ListRecordsAsync(Alice, sync.Id, page2.Records[^1].Sequence, 2))!;
        pulled.AddRange(page3.Records);
        var page4 = (await Records.ListRecordsAsync(Alice, sync.Id, page3.Records[^1].Sequence, 2))!;

        Assert.Equal(["a", "b"], page1.Records.Select(r => r.ExternalId));
        Assert.Equal((5L, 5L, 3L), (page1.TotalRecords, page1.TotalActiveRecords, page1.RemainingAfterPage));
        Assert.Equal(["c", "d"], page2.Records.Select(r => r.ExternalId));
        Assert.Equal(2L, page2.RemainingAfterPage);
        Assert.Equal(["e", "a"], page3.Records.Select(r => r.ExternalId));
        Assert.Equal(0L, page3.RemainingAfterPage);
        Assert.Empty(page4.Records);
        Assert.Equal((5L, 5L, 0L), (page4.TotalRecords, page4.TotalActiveRecords, page4.RemainingAfterPage));
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], pulled.Select(r => r.Sequence)); // every change once, none skipped
        Assert.Equal(Record(sync.Id, "a", 6, T0.AddSeconds(3), "v2"), pulled[^1]);
    }

    [Fact]
    public async Task ListRecords_IncludesTombstones_AndCountsOnlyLiveRecordsAsActive()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b"), Upsert(sync.Id, "c")], T0.AddSeconds(2)));
        await FinishAsync(run, T0.AddSeconds(3));
        var full = await StartTriggeredRunAsync(sync.Id, RunType.Full, T0.AddSeconds(4));
        await Engine.WriteRecordPageAsync(Page(full, [Upsert(sync.Id, "b")], T0.AddSeconds(5), reconcile: true));

        var page = (await Records.ListRecordsAsync(Alice, sync.Id, 2, 10))!;

        Assert.Equal([("a", 4L, true), ("c", 5L, true)], page.Records.Select(r => (r.ExternalId, r.Sequence, r.Deleted)));
        Assert.Equal((3L, 1L, 0L), (page.TotalRecords, page.TotalActiveRecords, page.RemainingAfterPage));
        Assert.Equal(Record(sync.Id, "a", 4, T0.AddSeconds(5)) with { Deleted = true },
            await Records.GetRecordAsync(Alice, sync.Id, RecordId(sync.Id, "a")));
    }

    [Fact]
    public async Task ListRecordsAndGetRecord_OfAnotherScopeOrUnknown_AreNull()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a")], T0.AddSeconds(2)));
        var (empty, _) = await InsertSyncAsync(Alice, "empty");

        foreach (var scope in new[] { Bob, AliceInOtherProject })
        {
            Assert.Null(await Records.ListRecordsAsync(scope, sync.Id, 0, 10));
            Assert.Null(await Records.GetRecordAsync(scope, sync.Id, RecordId(sync.Id, "a")));
        }
        Assert.Null(await Records.ListRecordsAsync(Alice, Guid.NewGuid(), 0, 10));
        Assert.Null(await Records.GetRecordAsync(Alice, sync.Id, Guid.NewGuid()));
        Assert.Null(await Records.GetRecordAsync(Alice, empty.Id, RecordId(sync.Id, "a"))); // another Sync's record
        var none = (await Records.ListRecordsAsync(Alice, empty.Id, 0, 10))!;
        Assert.Empty(none.Records);
        Assert.Equal((0L, 0L, 0L), (none.TotalRecords, none.TotalActiveRecords, none.RemainingAfterPage));
        Assert.NotNull(await Records.GetRecordAsync(Alice, sync.Id, RecordId(sync.Id, "a")));
    }

    [Fact]
    public async Task ListRecords_LimitBelowOne_IsRejected()
    {
        var (sync, _) = await InsertSyncAsync(Alice);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Records.ListRecordsAsync(Alice, sync.Id, 0, 0));
    }

    [Fact]
    public async Task DeleteSync_RemovesItsRecords()
    {
        var (sync, _) = await InsertSyncAsync(Alice, bound: false);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], T0.AddSeconds(2)));
        var (kept, _) = await InsertSyncAsync(Alice, "kept", bound: false);
        var keptRun = await StartRunAsync(kept.Id, T0.AddSeconds(3));
        await Engine.WriteRecordPageAsync(Page(keptRun, [Upsert(kept.Id, "a")], T0.AddSeconds(4)));

        Assert.True(await Store.DeleteSyncAsync(Alice, sync.Id, T0));

        Assert.Equal([1L], await Database.QueryLongsAsync("SELECT COUNT(*) FROM sync_records"));
        Assert.Null(await Records.GetRecordAsync(Alice, sync.Id, RecordId(sync.Id, "a")));
        // Enabled again (same id): no records, and its counter starts over.
        var (again, againRun) = NewSync(Alice, "default", null, T0.AddHours(1));
        await Store.InsertSyncAsync(again, againRun);
        var page = (await Records.ListRecordsAsync(Alice, sync.Id, 0, 10))!;
        Assert.Equal((0, 0L, 0L), (page.Records.Count, page.TotalRecords, page.TotalActiveRecords));
        // A new life: the page says so, so an old cursor (sequence of the old life) can be told apart.
        Assert.Equal(again.Incarnation, page.Incarnation);
        Assert.NotEqual(sync.Incarnation, page.Incarnation);
        Assert.Equal(0, (await Engine.GetSyncAsync(sync.Id))!.Sync.LatestRecordSequence);
        var newRun = await StartRunAsync(sync.Id, T0.AddHours(1).AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(newRun, [Upsert(sync.Id, "z")], T0.AddHours(1).AddSeconds(2)));
        Assert.Equal([1L], (await AllRecordsAsync(sync.Id)).Select(r => r.Sequence));
    }
}
