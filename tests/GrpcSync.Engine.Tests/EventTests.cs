using System.Text.Json;
using GrpcSync.Connectors;
using GrpcSync.Domain;
using GrpcSync.Engine.Configuration;
using GrpcSync.Engine.Events;
using GrpcSync.Engine.Tests.Infrastructure;
using GrpcSync.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Tests;

/// <summary>What the engine's runs log: run and Sync events, and record events for every run but the INITIAL one.</summary>
public abstract class EventTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : EventTests(TestStore.Sqlite);

    public sealed class OnPostgres() : EventTests(TestStore.Postgres);

    private IEventStore Events => (IEventStore)H.Store;

    private async Task<IReadOnlyList<LoggedEvent>> EventsAsync(Guid syncId) =>
        (await Events.ListSyncEventsAsync(EngineHarness.Scope, syncId, 0, 10_000))!.Events;

    private static string Data(LoggedEvent e, string property) =>
        JsonDocument.Parse(e.DataJson).RootElement.GetProperty(property).ToString();

    private async Task<Sync> InitialisedFakeSyncAsync(params string[] items)
    {
        var credential = await H.AddFakeCredentialAsync();
        foreach (var item in items)
        {
            H.Fake.Put(item, item.ToUpperInvariant());
        }
        var sync = await H.EnableAsync(credential);
        Assert.Equal(1, await H.RunDueAsync());
        return sync;
    }

    [Fact]
    public async Task The_initial_run_logs_run_started_run_finished_with_its_counts_and_sync_complete_but_no_record_events()
    {
        var sync = await InitialisedFakeSyncAsync("a", "b", "c");

        var events = await EventsAsync(sync.Id);

        Assert.Equal([EventTypes.RunStarted, EventTypes.RunFinished, EventTypes.SyncComplete], events.Select(e => e.Type));
        var run = Assert.Single(await H.RunsAsync(sync.Id));
        Assert.Equal([run.Id.ToString(), run.Id.ToString()], events.Take(2).Select(e => Data(e, "runId")));
        Assert.Equal(("INITIAL", "ENABLE", "SUCCEEDED", "3", "0", "0"),
            (Data(events[1], "type"), Data(events[1], "trigger"), Data(events[1], "state"),
             Data(events[1], "created"), Data(events[1], "updated"), Data(events[1], "deleted")));
        Assert.Equal((FakeConnector.ItemsPipeline, "3", SyncEvents.Rfc3339(H.Now)),
            (Data(events[2], "model"), Data(events[2], "numRecords"), Data(events[2], "syncedAt")));
    }

    [Fact]
    public async Task Incremental_and_full_runs_log_one_record_event_per_changed_record()
    {
        var sync = await InitialisedFakeSyncAsync("a", "b");
        var before = (await EventsAsync(sync.Id)).Count;
        H.Fake.Put("a", "A2");
        H.Fake.Put("c", "C");
        await H.MutateAsync(sync.Id, s => RunRules.Trigger(s, RunType.Incremental, H.Now));
        Assert.Equal(1, await H.RunDueAsync());
        H.Fake.Remove("b");
        await H.MutateAsync(sync.Id, s => RunRules.Trigger(s, RunType.Full, H.Now));
        Assert.Equal(1, await H.RunDueAsync());

        var events = (await EventsAsync(sync.Id)).Skip(before).ToList();

        Assert.Equal(
        [
            (EventTypes.RunStarted, ""), (EventTypes.RecordUpdated, "a"), (EventTypes.RecordCreated, "c"), (EventTypes.RunFinished, ""),
            (EventTypes.RunStarted, ""), (EventTypes.RecordDeleted, "b"), (EventTypes.RunFinished, ""),
        ], events.Select(e => (e.Type, e.Type.StartsWith("record_", StringComparison.Ordinal) ? Data(e, "externalId") : "")));
        Assert.Equal(EngineHarness.RecordId(sync.Id, "b").ToString(), Data(events[5], "recordId"));
        Assert.Equal(("1", "1", "0"), (Data(events[3], "created"), Data(events[3], "updated"), Data(events[3], "deleted")));
        Assert.Equal(("0", "0", "1"), (Data(events[6], "created"), Data(events[6], "updated"), Data(events[6], "deleted")));
        Assert.Equal(Enumerable.Range(before + 1, 7).Select(i => (long)i), events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_permanent_failure_logs_run_finished_failed_and_sync_errored_with_the_connectors_code_and_the_reason()
    {
        var sync = await InitialisedFakeSyncAsync("a");
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        H.Fake.ThenThrow(new PermanentSourceException("ROOT_NOT_FOUND", "The root is gone."));

        Assert.Equal(1, await H.RunDueAsync());

        var events = await EventsAsync(sync.Id);
        Assert.Equal([EventTypes.RunStarted, EventTypes.RunFinished, EventTypes.SyncErrored], events.TakeLast(3).Select(e => e.Type));
        Assert.Equal(("FAILED", "The root is gone."), (Data(events[^2], "state"), Data(events[^2], "error")));
        Assert.Equal("""{"code":"ROOT_NOT_FOUND","message":"The root is gone."}""", Data(events[^1], "error"));
    }

    [Fact]
    public async Task A_rate_limited_run_logs_sync_rate_limited_and_no_run_finished_until_it_ends()
    {
        var sync = await InitialisedFakeSyncAsync("a");
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        H.Fake.ThenThrow(new RateLimitedSourceException(TimeSpan.FromSeconds(30), "HTTP 429"));

        Assert.Equal(1, await H.RunDueAsync());

        var events = await EventsAsync(sync.Id);
        // The scheduled run is quiet (no run_started at its claim): the INITIAL run's three events, then the rate limit.
        Assert.Equal([EventTypes.RunStarted, EventTypes.RunFinished, EventTypes.SyncComplete, EventTypes.SyncRateLimited],
            events.Select(e => e.Type));
        Assert.Equal(("30000", "HTTP 429"), (Data(events[^1], "retryAfterMs"), Data(events[^1], "error")));
    }

    [Fact]
    public async Task Retention_deletes_every_expired_event_in_batches_and_keeps_the_younger_ones()
    {
        var sync = await InitialisedFakeSyncAsync("a"); // 3 events now
        await H.DisableAsync(sync.Id);
        await H.ReenableAsync(sync.Id); // 5 events, all at the start
        H.AdvanceTo(H.Now + TimeSpan.FromDays(20));
        await H.DisableAsync(sync.Id); // one younger event
        H.AdvanceTo(H.Now + TimeSpan.FromDays(11)); // the first five are now 31 days old
        var options = new EventOptions { Retention = TimeSpan.FromDays(30), RetentionBatch = 2 };
        var retention = new EventRetention(Events, H.Time, Options.Create(options), NullLogger<EventRetention>.Instance);

        Assert.Equal(5, await retention.PurgeExpiredAsync(CancellationToken.None));
        Assert.Equal(0, await retention.PurgeExpiredAsync(CancellationToken.None));

        var left = Assert.Single(await EventsAsync(sync.Id));
        Assert.Equal((6L, EventTypes.SyncDisabled), (left.Sequence, left.Type));
    }
}
