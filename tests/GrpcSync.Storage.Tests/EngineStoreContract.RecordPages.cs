using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>A worker's record pages: sequences, reconcile, fencing, summary.</summary>
public abstract partial class EngineStoreContract
{
    // ================= Record pages =================

    [Fact]
    public async Task WriteRecordPage_NewChangedAndUnchangedRecords_GetTheRightSequences()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        var t1 = T0.AddSeconds(2);
        var t2 = T0.AddSeconds(3);

        var first = await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b"), Upsert(sync.Id, "c")], t1));
        var second = await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b", "v2"), Upsert(sync.Id, "d")], t2));

        Assert.Equal(new RecordPageResult(false, 3, 0, 0), first);
        Assert.Equal(new RecordPageResult(false, 1, 1, 0), second);
        var records = await AllRecordsAsync(sync.Id);
        Assert.Equal(
        [
            Record(sync.Id, "a", 1, t1), // unchanged: keeps its sequence and time
            Record(sync.Id, "c", 3, t1),
            Record(sync.Id, "b", 4, t2, "v2"),
            Record(sync.Id, "d", 5, t2),
        ], records);
    }

    [Fact]
    public async Task ReadLiveFingerprints_ReturnsTheLiveRecordsOfThatSyncOnly()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var (other, _) = await InsertSyncAsync(Alice, "other");
        var started = await DispatchAsync(T0.AddSeconds(1));
        var run = started.Single(s => s.Sync.Id == sync.Id).Run;
        var otherRun = started.Single(s => s.Sync.Id == other.Id).Run;
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b", "v2"), Upsert(sync.Id, "gone")], T0.AddSeconds(2)));
        await FinishAsync(run, T0.AddSeconds(3));
        var full = await StartTriggeredRunAsync(sync.Id, RunType.Full, T0.AddSeconds(4));
        await Engine.WriteRecordPageAsync(Page(full, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b", "v2")], T0.AddSeconds(5), reconcile: true));
        await Engine.WriteRecordPageAsync(Page(otherRun, [Upsert(other.Id, "c")], T0.AddSeconds(2)));

        var found = await Engine.ReadLiveFingerprintsAsync(sync.Id, ["a", "b", "gone", "c", "never", "a"]);

        // "gone" is a tombstone, "c" another Sync's, "never" unknown; a repeated id is answered once.
        Assert.Equal(new Dictionary<string, string> { ["a"] = "a@v1", ["b"] = "b@v2" }, found);
        Assert.Empty(await Engine.ReadLiveFingerprintsAsync(sync.Id, []));
    }

    [Fact]
    public async Task WriteRecordPage_AnExternalIdTwiceInOnePage_AppliesThemInOrder()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));

        var result = await Engine.WriteRecordPageAsync(Page(run,
            [Upsert(sync.Id, "a"), Upsert(sync.Id, "a", "v2"), Upsert(sync.Id, "a", "v2")], T0.AddSeconds(2)));

        Assert.Equal(new RecordPageResult(false, 1, 1, 0), result);
        Assert.Equal([Record(sync.Id, "a", 2, T0.AddSeconds(2), "v2")], await AllRecordsAsync(sync.Id));
    }

    [Fact]
    public async Task WriteRecordPage_ReconcileUnseen_TombstonesOnlyWhatThisRunDidNotSee()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var first = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(first, Upserts(sync.Id, "a", "b", "c", "d", "e"), T0.AddSeconds(2)));
        await FinishAsync(first, T0.AddSeconds(3));
        var second = await StartTriggeredRunAsync(sync.Id, RunType.Full, T0.AddSeconds(4));
        var t = T0.AddSeconds(5);

        // The run saw a and b on an earlier page, d (changed) on the last one; c and e are gone.
        var earlier = await Engine.WriteRecordPageAsync(Page(second, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], t));
        var last = await Engine.WriteRecordPageAsync(Page(second, [Upsert(sync.Id, "d", "v2")], t.AddSeconds(1), reconcile: true));

        Assert.Equal(new RecordPageResult(false, 0, 0, 0), earlier);
        Assert.Equal(new RecordPageResult(false, 0, 1, 2), last);
        var records = (await AllRecordsAsync(sync.Id)).ToDictionary(r => r.ExternalId);
        Assert.Equal(Record(sync.Id, "a", 1, T0.AddSeconds(2)), records["a"]);
        Assert.Equal(Record(sync.Id, "b", 2, T0.AddSeconds(2)), records["b"]);
        Assert.Equal(Record(sync.Id, "d", 6, t.AddSeconds(1), "v2"), records["d"]);
        // Tombstones: same id, next sequences in their previous order, data and fingerprint kept.
        Assert.Equal(Record(sync.Id, "c", 7, t.AddSeconds(1)) with { Deleted = true }, records["c"]);
        Assert.Equal(Record(sync.Id, "e", 8, t.AddSeconds(1)) with { Deleted = true }, records["e"]);
        var after = (await Engine.GetSyncAsync(sync.Id))!.Sync;
        Assert.Equal((5L, 3L, 8L), (after.TotalRecords, after.SyncedRecordsCount, after.LatestRecordSequence));

        // Reconciling again deletes nothing more: tombstones stay as they are.
        Assert.Equal(new RecordPageResult(false, 0, 0, 0),
            await Engine.WriteRecordPageAsync(Page(second, [], t.AddSeconds(2), reconcile: true)));
        Assert.Equal(records.Values.OrderBy(r => r.Sequence), await AllRecordsAsync(sync.Id));
    }

    [Fact]
    public async Task WriteRecordPage_TombstoneComingBack_GetsANewSequenceAndIsLiveAgain()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var first = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(first, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], T0.AddSeconds(2)));
        await FinishAsync(first, T0.AddSeconds(3));
        var full = await StartTriggeredRunAsync(sync.Id, RunType.Full, T0.AddSeconds(4));
        Assert.Equal(new RecordPageResult(false, 0, 0, 1),
            await Engine.WriteRecordPageAsync(Page(full, [Upsert(sync.Id, "a")], T0.AddSeconds(5), reconcile: true))); // b → tombstone, 3
        await FinishAsync(full, T0.AddSeconds(5));
        var incremental = await StartTriggeredRunAsync(sync.Id, RunType.Incremental, T0.AddSeconds(6));

        // Back with the very same fingerprint: still a change (it was deleted).
        var result = await Engine.WriteRecordPageAsync(Page(incremental, [Upsert(sync.Id, "b")], T0.AddSeconds(6)));

        Assert.Equal(new RecordPageResult(false, 1, 0, 0), result);
        Assert.Equal(Record(sync.Id, "b", 4, T0.AddSeconds(6)), await Records.GetRecordAsync(Alice, sync.Id, RecordId(sync.Id, "b")));
        var after = (await Engine.GetSyncAsync(sync.Id))!.Sync;
        Assert.Equal((2L, 2L, 4L), (after.TotalRecords, after.SyncedRecordsCount, after.LatestRecordSequence));
    }

    [Fact]
    public async Task WriteRecordPage_UpdatesTheSyncSummaryAndSourceCursor_ButNotItsVersion()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        var before = (await Engine.GetSyncAsync(sync.Id))!.Sync;

        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], T0.AddSeconds(2), sourceCursor: "src-1"));
        var afterFirst = (await Engine.GetSyncAsync(sync.Id))!.Sync;
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "c")], T0.AddSeconds(3), reconcile: true));
        var afterSecond = (await Engine.GetSyncAsync(sync.Id))!.Sync;

        Assert.Equal(before with { TotalRecords = 2, SyncedRecordsCount = 2, LatestRecordSequence = 2, SourceCursor = "src-1" },
            afterFirst);
        Assert.Equal(before.ETag, afterFirst.ETag);
        // a and b were seen by this run (first page): reconcile keeps them. No cursor given: the old one stays.
        Assert.Equal(afterFirst with { TotalRecords = 3, SyncedRecordsCount = 3, LatestRecordSequence = 3 }, afterSecond);
    }

    [Fact]
    public async Task WriteRecordPage_FencedPages_WriteNothing()
    {
        var (sync, initial) = await InsertSyncAsync(Alice);
        var (other, _) = await InsertSyncAsync(Alice, "other");
        var queuedPage = Page(initial with { Attempt = 0 }, [Upsert(sync.Id, "a")], T0, reconcile: false, "c");
        Assert.Equal(new RecordPageResult(true, 0, 0, 0), await Engine.WriteRecordPageAsync(queuedPage)); // not running
        var started = await DispatchAsync(T0.AddSeconds(1));
        var run = Assert.Single(started, s => s.Sync.Id == sync.Id).Run;
        var otherRun = Assert.Single(started, s => s.Sync.Id == other.Id).Run;
        var before = await Engine.GetSyncAsync(sync.Id);

        RecordPage[] fenced =
        [
            Page(run with { Attempt = 2 }, [Upsert(sync.Id, "a")], T0.AddSeconds(2), reconcile: true, "c"), // a later attempt
            Page(run with { Attempt = 0 }, [Upsert(sync.Id, "a")], T0.AddSeconds(2), reconcile: true, "c"), // an earlier one
            Page(run with { Id = Guid.NewGuid() }, [Upsert(sync.Id, "a")], T0.AddSeconds(2)), // unknown run
            Page(otherRun with { SyncId = sync.Id }, [Upsert(sync.Id, "a")], T0.AddSeconds(2)), // another Sync's run
            Page(run with { SyncId = Guid.NewGuid() }, [Upsert(sync.Id, "a")], T0.AddSeconds(2)), // unknown Sync
        ];
        foreach (var page in fenced)
        {
            Assert.Equal(new RecordPageResult(true, 0, 0, 0), await Engine.WriteRecordPageAsync(page));
        }

        AssertSameSnapshot(before, await Engine.GetSyncAsync(sync.Id));
        Assert.Equal([0L], await Database.QueryLongsAsync("SELECT COUNT(*) FROM sync_records"));
        Assert.Equal([0L, 0L], await Database.QueryLongsAsync("SELECT record_sequence FROM syncs"));
    }

    [Fact]
    public async Task WriteRecordPage_AfterSyncMutations_KeepsCountingSequences()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], T0.AddSeconds(2)));

        // Mutations write the whole Sync back; the store's record counter is not part of it, even when a change sets it.
        await Store.MutateSyncAsync(Alice, sync.Id, s => new SyncChange<bool>(
            s.Sync with { Version = s.Sync.Version + 1, Frequency = "5m", UpdatedAt = T0.AddSeconds(3), LatestRecordSequence = 99 }, [], [], true));
        await Engine.MutateSyncAsync(sync.Id, s => new SyncChange<bool>(s.Sync with { Version = s.Sync.Version + 1 }, [], [], true));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "c")], T0.AddSeconds(4)));

        Assert.Equal([1L, 2L, 3L], (await AllRecordsAsync(sync.Id)).Select(r => r.Sequence));
        Assert.Equal([3L], await Database.QueryLongsAsync("SELECT record_sequence FROM syncs"));
        Assert.Equal(3, (await Engine.GetSyncAsync(sync.Id))?.Sync.LatestRecordSequence);
    }

    [Fact]
    public async Task WriteRecordPage_ConcurrentWithPagesAndMutations_LosesNothing()
    {
        const int pages = 20, mutations = 20;
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        var versionBefore = (await Engine.GetSyncAsync(sync.Id))!.Sync.Version;
        var other = Database.OpenStore();

        await RunTogetherAsync(pages + mutations, async i =>
        {
            var store = i % 2 == 0 ? Engine : other;
            if (i < pages)
            {
                var result = await store.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, $"r{i:D2}")], T0.AddSeconds(2)));
                Assert.Equal(new RecordPageResult(false, 1, 0, 0), result);
            }
            else
            {
                await store.MutateSyncAsync(sync.Id, s => new SyncChange<bool>(s.Sync with { Version = s.Sync.Version + 1 }, [], [], true));
            }
            return true;
        });

        var records = await AllRecordsAsync(sync.Id);
        Assert.Equal(Enumerable.Range(1, pages).Select(i => (long)i), records.Select(r => r.Sequence));
        var after = (await Engine.GetSyncAsync(sync.Id))!.Sync;
        Assert.Equal(versionBefore + mutations, after.Version);
        Assert.Equal(((long)pages, (long)pages, (long)pages), (after.TotalRecords, after.SyncedRecordsCount, after.LatestRecordSequence));
    }
}
