using System.Text.Json;
using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>The event log: appended with the change it reports, sequenced per Sync, listed by life, trimmed by age.</summary>
public abstract partial class EngineStoreContract
{
    private IEventStore Events => (IEventStore)Store;

    /// <summary>Every event of the current life of one of Alice's Syncs, oldest first.</summary>
    private async Task<IReadOnlyList<LoggedEvent>> AllEventsAsync(Guid syncId) =>
        (await Events.ListSyncEventsAsync(Alice, syncId, 0, 10_000))!.Events;

    private static string DataOf(LoggedEvent e, string property) =>
        JsonDocument.Parse(e.DataJson).RootElement.GetProperty(property).ToString();

    // ================= Written with the change =================

    [Fact]
    public async Task RunLifecycle_LogsRunStarted_ThenRunFinishedAndSyncComplete_WithTheSyncsProperties()
    {
        var (sync, initial) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, Upserts(sync.Id, "a", "b"), T0.AddSeconds(2)));
        await Engine.MutateSyncAsync(sync.Id, s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.Succeeded(null),
            T0.AddSeconds(3), Policy, new RunCounts(2, 0, 0)));

        var events = await AllEventsAsync(sync.Id);

        Assert.Equal([EventTypes.RunStarted, EventTypes.RunFinished, EventTypes.SyncComplete], events.Select(e => e.Type));
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal((sync.Id, sync.Incarnation, Alice.ProjectId, Alice.UserId, "hubspot", sync.CredentialId),
            (e.SyncId, e.Incarnation, e.ProjectId, e.UserId, e.Integration, e.CredentialId)));
        Assert.Equal([T0.AddSeconds(1), T0.AddSeconds(3), T0.AddSeconds(3)], events.Select(e => e.Timestamp));
        Assert.Equal(initial.Id.ToString(), DataOf(events[0], "runId"));
        Assert.Equal(("SUCCEEDED", "2"), (DataOf(events[1], "state"), DataOf(events[1], "created")));
        Assert.Equal(("contacts", "2"), (DataOf(events[2], "model"), DataOf(events[2], "numRecords")));
    }

    [Fact]
    public async Task RecordPages_OfTheInitialRun_LogNoRecordEvents_ButIncrementalAndFullReconcileLogOnePerRecord()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var initial = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(initial, Upserts(sync.Id, "a", "b", "c"), T0.AddSeconds(2)));
        await FinishAsync(initial, T0.AddSeconds(3));
        var afterInitial = (await AllEventsAsync(sync.Id)).Count;

        var incremental = await StartTriggeredRunAsync(sync.Id, RunType.Incremental, T0.AddSeconds(4));
        await Engine.WriteRecordPageAsync(Page(incremental, [Upsert(sync.Id, "a", "v2"), Upsert(sync.Id, "b"), Upsert(sync.Id, "d")],
            T0.AddSeconds(5)));
        await FinishAsync(incremental, T0.AddSeconds(6));
        var full = await StartTriggeredRunAsync(sync.Id, RunType.Full, T0.AddSeconds(7));
        await Engine.WriteRecordPageAsync(Page(full, [Upsert(sync.Id, "a", "v2"), Upsert(sync.Id, "d")], T0.AddSeconds(8), reconcile: true));

        var recordEvents = (await AllEventsAsync(sync.Id)).Skip(afterInitial)
            .Where(e => e.Type.StartsWith("record_", StringComparison.Ordinal))
            .Select(e => (e.Type, DataOf(e, "externalId"), DataOf(e, "recordId"), DataOf(e, "model"))).ToList();

        Assert.Equal(3, afterInitial); // run_started, run_finished, sync_complete: no record_created for a, b, c
        Assert.Equal(
        [
            (EventTypes.RecordUpdated, "a", RecordId(sync.Id, "a").ToString(), "contacts"), // b is unchanged: nothing
            (EventTypes.RecordCreated, "d", RecordId(sync.Id, "d").ToString(), "contacts"),
            (EventTypes.RecordDeleted, "b", RecordId(sync.Id, "b").ToString(), "contacts"), // the reconcile, in sequence order
            (EventTypes.RecordDeleted, "c", RecordId(sync.Id, "c").ToString(), "contacts"),
        ], recordEvents);
    }

    [Fact]
    public async Task Sequences_IncreasePerSync_AndEachSyncCountsOnItsOwn()
    {
        var (first, _) = await InsertSyncAsync(Alice, "first");
        var (second, _) = await InsertSyncAsync(Alice, "second");
        await Store.MutateSyncAsync(Alice, first.Id, s => SyncRules.Disable(s, T0.AddSeconds(1)));
        await Store.MutateSyncAsync(Alice, second.Id, s => SyncRules.Disable(s, T0.AddSeconds(1)));
        await Store.MutateSyncAsync(Alice, first.Id, s => SyncRules.Reenable(s, T0.AddSeconds(2)));
        await Store.MutateSyncAsync(Alice, first.Id, s => SyncRules.Update(s, new UpdateSyncCommand(null, "1h", null, "alice"), T0.AddSeconds(3)));

        var firstEvents = await AllEventsAsync(first.Id);
        var secondEvents = await AllEventsAsync(second.Id);

        Assert.Equal([(1L, EventTypes.SyncDisabled), (2L, EventTypes.SyncReenabled), (3L, EventTypes.SyncUpdated)],
            firstEvents.Select(e => (e.Sequence, e.Type)));
        Assert.Equal([(1L, EventTypes.SyncDisabled)], secondEvents.Select(e => (e.Sequence, e.Type)));
        Assert.Equal("{\"frequency\":{\"old\":null,\"new\":\"1h\"}}", DataOf(firstEvents[2], "changes"));
        Assert.Equal("alice", DataOf(firstEvents[2], "sub"));
        // Paging: after the first, one at a time.
        Assert.Equal([2L], (await Events.ListSyncEventsAsync(Alice, first.Id, 1, 1))!.Events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task AChangeThatFails_LogsNoEvent()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var stray = NewRun(sync.Id, T0); // never inserted: updating it affects no row, so the change fails

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.MutateSyncAsync(Alice, sync.Id, s =>
            SyncRules.Disable(s, T0.AddSeconds(1)) with { RunsToUpdate = [stray] }));
        await Assert.ThrowsAsync<DomainException>(() => Store.MutateSyncAsync<Sync>(Alice, sync.Id, s =>
            throw new DomainException(ErrorKind.FailedPrecondition, "NOPE", "refused")));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.DeleteCredentialAsync(Alice, sync.CredentialId!.Value,
            T0.AddSeconds(2), s => SyncRules.CredentialDeleted(s, s.Sync.CredentialId!.Value, T0.AddSeconds(2)) with
            {
                NewSync = s.Sync with { Version = s.Sync.Version + 5 }, // breaks the rules: nothing is written
            }));

        Assert.Empty(await AllEventsAsync(sync.Id));
        Assert.Equal([0L], await Database.QueryLongsAsync("SELECT COUNT(*) FROM sync_events"));
        // And the next change takes sequence 1: nothing was given out by the failed ones.
        await Store.MutateSyncAsync(Alice, sync.Id, s => SyncRules.Disable(s, T0.AddSeconds(3)));
        Assert.Equal([1L], (await AllEventsAsync(sync.Id)).Select(e => e.Sequence));
    }

    [Fact]
    public async Task CredentialDelete_LogsSyncErrored_InItsTransaction()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var credentialId = sync.CredentialId!.Value;

        Assert.True(await Store.DeleteCredentialAsync(Alice, credentialId, T0.AddSeconds(1),
            s => SyncRules.CredentialDeleted(s, credentialId, T0.AddSeconds(1))));

        var errored = Assert.Single(await AllEventsAsync(sync.Id));
        Assert.Equal(EventTypes.SyncErrored, errored.Type);
        Assert.Equal(credentialId, errored.CredentialId);
        Assert.Equal($"{{\"code\":\"CREDENTIAL_DELETED\",\"message\":\"{SyncRules.CredentialGoneReason(credentialId)}\"}}",
            DataOf(errored, "error"));
    }

    [Fact]
    public async Task Delete_LogsSyncDeleted_AndTheNextLifeContinuesTheSequenceButListsOnlyItsOwnEvents()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        await Store.MutateSyncAsync(Alice, sync.Id, s => SyncRules.Disable(s, T0.AddSeconds(1)));
        Assert.True(await Store.DeleteSyncAsync(Alice, sync.Id, T0.AddSeconds(2)));

        Assert.Null(await Events.ListSyncEventsAsync(Alice, sync.Id, 0, 10));
        Assert.Equal([2L], await Database.QueryLongsAsync(
            $"SELECT sequence FROM sync_events WHERE sync_id = '{sync.Id}' AND event_type = 'sync_deleted'"));
        Assert.Equal([T0.AddSeconds(2).ToUnixTimeMilliseconds()], await Database.QueryLongsAsync(
            $"SELECT created_at FROM sync_events WHERE sync_id = '{sync.Id}' AND event_type = 'sync_deleted'"));

        var (again, run) = NewSync(Alice, "default", sync.CredentialId, T0.AddSeconds(3));
        Assert.True((await Store.InsertSyncAsync(again, run)).Created);
        await Store.MutateSyncAsync(Alice, again.Id, s => SyncRules.Disable(s, T0.AddSeconds(4)));

        var page = (await Events.ListSyncEventsAsync(Alice, again.Id, 0, 10))!;
        Assert.Equal(again.Incarnation, page.Incarnation);
        Assert.Equal([(3L, EventTypes.SyncDisabled)], page.Events.Select(e => (e.Sequence, e.Type)));
    }

    [Fact]
    public async Task ListEvents_OfAnotherScopeOrUnknownSync_IsNull()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        await Store.MutateSyncAsync(Alice, sync.Id, s => SyncRules.Disable(s, T0.AddSeconds(1)));

        Assert.Null(await Events.ListSyncEventsAsync(Bob, sync.Id, 0, 10));
        Assert.Null(await Events.ListSyncEventsAsync(AliceInOtherProject, sync.Id, 0, 10));
        Assert.Null(await Events.ListSyncEventsAsync(Alice, Guid.NewGuid(), 0, 10));
        Assert.Single((await Events.ListSyncEventsAsync(Alice, sync.Id, 0, 10))!.Events);
    }

    [Fact]
    public async Task GroupedMutations_LogEachSyncsEvents_InOrder_WhetherTheSyncsAreDistinctOrRepeated()
    {
        var (a, _) = await InsertSyncAsync(Alice, "a");
        var (b, _) = await InsertSyncAsync(Alice, "b");
        Func<SyncSnapshot, SyncChange<Sync>> Disable(DateTimeOffset at) => s => SyncRules.Disable(s, at);
        Func<SyncSnapshot, SyncChange<Sync>> Reenable(DateTimeOffset at) => s => SyncRules.Reenable(s, at);

        await Engine.MutateSyncsAsync([(a.Id, Disable(T0.AddSeconds(1))), (b.Id, Disable(T0.AddSeconds(1)))]); // distinct: planned together
        await Engine.MutateSyncsAsync([(a.Id, Reenable(T0.AddSeconds(2))), (a.Id, Disable(T0.AddSeconds(3)))]); // repeated: one after the other

        Assert.Equal([(1L, EventTypes.SyncDisabled), (2L, EventTypes.SyncReenabled), (3L, EventTypes.SyncDisabled)],
            (await AllEventsAsync(a.Id)).Select(e => (e.Sequence, e.Type)));
        Assert.Equal([(1L, EventTypes.SyncDisabled)], (await AllEventsAsync(b.Id)).Select(e => (e.Sequence, e.Type)));
    }

    [Fact]
    public async Task Migrate_FromVersion4_StartsEachSyncsEventSequenceAtZero()
    {
        var database = await NewDatabaseAsync();
        await database.CreateSchemaAsync(4);
        var id = Guid.NewGuid();
        await database.ExecuteAsync($$"""
            INSERT INTO syncs (id, project_id, user_id, integration, pipeline, configuration_name, configuration_json, credential_id,
                frequency, status, reason, rate_limit_backoff_ms, next_run_at, last_run_started_at, last_synced_at,
                total_records, synced_records_count, version, created_at, updated_at, record_sequence, incarnation)
            VALUES ('{{id:D}}', 'project-1', 'alice', 'hubspot', 'contacts', 'a', '{}', NULL,
                    NULL, 'Idle', NULL, NULL, NULL, NULL, NULL, 0, 0, 3, {{T0.ToUnixTimeMilliseconds()}}, {{T0.ToUnixTimeMilliseconds()}}, 0, 77);
            """);
        var store = database.OpenStore();

        await store.MigrateAsync();
        await store.MutateSyncAsync(Alice, id, s => SyncRules.Disable(s, T0.AddSeconds(1)));

        var page = (await ((IEventStore)store).ListSyncEventsAsync(Alice, id, 0, 10))!;
        Assert.Equal(77L, page.Incarnation);
        Assert.Equal([(1L, EventTypes.SyncDisabled, 77L)], page.Events.Select(e => (e.Sequence, e.Type, e.Incarnation)));
    }

    // ================= Retention =================

    [Fact]
    public async Task DeleteEventsBefore_DeletesOnlyOlderEvents_OldestFirst_InBatchesOfAtMostMax()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        for (var i = 0; i < 5; i++)
        {
            var at = T0.AddMinutes(i);
            await Store.MutateSyncAsync(Alice, sync.Id, s => i % 2 == 0 ? SyncRules.Disable(s, at) : SyncRules.Reenable(s, at));
        }
        var cutoff = T0.AddMinutes(3); // events at minutes 0, 1, 2 are older

        var batches = new List<int>();
        for (var pass = 0; pass < 3; pass++)
        {
            batches.Add(await Events.DeleteEventsBeforeAsync(cutoff, 2));
        }

        Assert.Equal([2, 1, 0], batches);
        Assert.Equal([4L, 5L], (await AllEventsAsync(sync.Id)).Select(e => e.Sequence));
    }
}
