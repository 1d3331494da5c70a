using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>
/// Several events of one change in one log row (a record page's events): written as one row, read and
/// delivered event by event, from any cursor or position inside the row.
/// </summary>
public abstract partial class EngineStoreContract
{
    /// <summary>
    /// A Sync of Alice's whose INCREMENTAL run wrote one page creating <paramref name="records"/> records (one
    /// record_created each, in external-id order), with the first record event's sequence.
    /// </summary>
    private async Task<(Guid SyncId, long FirstRecordSequence)> SyncWithRecordPageAsync(int records, string name = "rows")
    {
        var (sync, _) = await InsertSyncAsync(Alice, name);
        var initial = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await FinishAsync(initial, T0.AddSeconds(2));
        var incremental = await StartTriggeredRunAsync(sync.Id, RunType.Incremental, T0.AddSeconds(3));
        var before = (await AllEventsAsync(sync.Id)).Count;
        await Engine.WriteRecordPageAsync(Page(incremental,
            Upserts(sync.Id, [.. Enumerable.Range(0, records).Select(i => $"r{i:D4}")]), T0.AddSeconds(4)));
        return (sync.Id, before + 1);
    }

    [Fact]
    public async Task APageOfManyRecordEvents_IsWrittenAsFewRows_AndListedEventByEvent_FromAnyCursorInsideThem()
    {
        const int records = 300; // more than one row holds
        var (syncId, first) = await SyncWithRecordPageAsync(records);

        var rows = (await Database.QueryLongsAsync($"SELECT COUNT(*) FROM sync_events WHERE sync_id = '{syncId}' AND sequence >= {first}")).Single();
        Assert.InRange(rows, 2, 3); // 300 events in rows of up to a few hundred, not 300 rows
        var events = (await AllEventsAsync(syncId)).Where(e => e.Sequence >= first).ToList();
        Assert.Equal(Enumerable.Range(0, records).Select(i => first + i), events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal(EventTypes.RecordCreated, e.Type));
        Assert.Equal(Enumerable.Range(0, records).Select(i => $"r{i:D4}"), events.Select(e => DataOf(e, "externalId")));
        Assert.Equal(records, events.Select(e => e.Id).Distinct().Count());
        Assert.All(events, e => Assert.Equal(T0.AddSeconds(4), e.Timestamp));

        foreach (var after in new[] { first - 1, first, first + 100, first + 254, first + 255, first + 256, first + 295 })
        {
            var page = (await Events.ListSyncEventsAsync(Alice, syncId, after, 7))!.Events;
            Assert.Equal(Enumerable.Range(1, (int)Math.Min(7, first + records - 1 - after)).Select(i => after + i), page.Select(e => e.Sequence));
            Assert.Equal(events.Where(e => e.Sequence > after).Take(7).Select(e => e.Id), page.Select(e => e.Id));
            var life = await Events.ListLifeEventsAsync(Alice, syncId, page[0].Incarnation, after, 7);
            Assert.Equal(page.Select(e => e.Id), life.Select(e => e.Id));
        }
    }

    [Fact]
    public async Task ARowOfSeveralEvents_TakesOnePositionPerEvent_AndAProjectListingResumesInsideIt()
    {
        var (syncId, first) = await SyncWithRecordPageAsync(40);
        var (other, _) = await InsertSyncAsync(Alice, "after");
        await FlipAsync(Alice, other.Id, 1, T0.AddSeconds(5));

        await PlaceUntilNoneAsync(1000);

        var all = await Events.ListProjectEventsAsync(Alice.ProjectId, 0, 1000);
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long?)i), all.Select(e => e.Position)); // one each, no gaps
        Assert.Equal(all.Count, (await Events.ListSyncEventsAsync(Alice, syncId, 0, 1000))!.Events.Count + 2);
        var recordEvents = all.Where(e => e.SyncId == syncId && e.Sequence >= first).ToList();
        Assert.Equal(40, recordEvents.Count);
        var middle = recordEvents[17].Position!.Value;
        var resumed = await Events.ListProjectEventsAsync(Alice.ProjectId, middle, 5);
        Assert.Equal(all.Where(e => e.Position > middle).Take(5).Select(e => e.Id), resumed.Select(e => e.Id));
        var tail = await Events.ListProjectEventsAsync(Alice.ProjectId, recordEvents[^1].Position!.Value, 10);
        Assert.Equal([EventTypes.SyncDisabled, EventTypes.SyncReenabled], tail.Select(e => e.Type));
    }

    [Fact]
    public async Task EveryEventOfARow_FansOutOnItsOwn_AndItsDeliveryCarriesThatEvent()
    {
        var everything = await InsertEndpointAsync(Alice.ProjectId);
        var deletions = await InsertEndpointAsync(Alice.ProjectId, "record_deleted");
        var (sync, _) = await InsertSyncAsync(Alice);
        var initial = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(initial, Upserts(sync.Id, "a", "b", "c", "d"), T0.AddSeconds(2)));
        await FinishAsync(initial, T0.AddSeconds(3));
        var full = await StartTriggeredRunAsync(sync.Id, RunType.Full, T0.AddSeconds(4));
        // One page: a changed, e created, b c d tombstoned by the reconcile.
        await Engine.WriteRecordPageAsync(Page(full, [Upsert(sync.Id, "a", "v2"), Upsert(sync.Id, "e")], T0.AddSeconds(5), reconcile: true));
        await PlaceUntilNoneAsync(1000);

        var claimed = await ClaimAsync(T0.AddMinutes(1), max: 1000);

        var events = (await AllEventsAsync(sync.Id)).ToList();
        Assert.Equal(events.Select(e => e.Id).Order(), claimed.Where(c => c.EndpointId == everything).Select(c => c.Event!.Id).Order());
        var deleted = claimed.Where(c => c.EndpointId == deletions).Select(c => c.Event!).OrderBy(e => e.Sequence).ToList();
        Assert.Equal(["b", "c", "d"], deleted.Select(e => DataOf(e, "externalId")));
        Assert.All(deleted, e => Assert.Equal(EventTypes.RecordDeleted, e.Type));
        Assert.Equal(events.Where(e => e.Type == EventTypes.RecordDeleted).Select(e => (e.Id, e.Sequence, e.Position)),
            deleted.Select(e => (e.Id, e.Sequence, e.Position)));
        // The delivery log names each delivery's own event type, not its row's first.
        var listed = await Hooks.ListDeliveriesAsync(Alice.ProjectId, everything, null, null, 1000);
        Assert.Equal(events.Select(e => (e.Id, (string?)e.Type)).Order(), listed.Select(d => (d.EventId, d.EventType)).Order());
    }

    [Fact]
    public async Task ANewLife_ContinuesTheSequenceAfterTheLastEventOfARow()
    {
        var (syncId, first) = await SyncWithRecordPageAsync(10, "reborn");
        var credentialId = (await Store.GetSyncAsync(Alice, syncId))!.Sync.CredentialId;
        // Disabling cancels the running run: sync_disabled and run_finished, one row of two events.
        await Store.MutateSyncAsync(Alice, syncId, s => SyncRules.Disable(s, T0.AddSeconds(6)));
        var events = await AllEventsAsync(syncId);
        Assert.Equal([(first + 10, EventTypes.SyncDisabled), (first + 11, EventTypes.RunFinished)],
            events.TakeLast(2).Select(e => (e.Sequence, e.Type)));
        Assert.True(await Store.DeleteSyncAsync(Alice, syncId, T0.AddSeconds(7)));
        // As if retention had trimmed the newest row: the log's last event is then the last member of a row.
        await Database.ExecuteAsync($"DELETE FROM sync_events WHERE sync_id = '{syncId}' AND event_type = 'sync_deleted'");

        var (again, run) = NewSync(Alice, "reborn", credentialId, T0.AddSeconds(8));
        Assert.Equal(syncId, again.Id);
        Assert.True((await Store.InsertSyncAsync(again, run)).Created);
        await Store.MutateSyncAsync(Alice, again.Id, s => SyncRules.Disable(s, T0.AddSeconds(9)));

        Assert.Equal([(first + 12, EventTypes.SyncDisabled)],
            (await Events.ListSyncEventsAsync(Alice, again.Id, 0, 10))!.Events.Select(e => (e.Sequence, e.Type)));
    }
}
