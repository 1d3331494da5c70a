using GrpcSync.Domain;
using GrpcSync.Engine.Configuration;
using GrpcSync.Engine.History;
using GrpcSync.Engine.Tests.Infrastructure;
using GrpcSync.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Tests;

/// <summary>Run history through the real engine: scheduled runs that changed nothing share an entry; retention.</summary>
public abstract class RunHistoryTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : RunHistoryTests(TestStore.Sqlite);

    public sealed class OnPostgres() : RunHistoryTests(TestStore.Postgres);

    private async Task<Sync> IdleFakeSyncAsync()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        Assert.Equal(1, await H.RunDueAsync());
        return await H.SyncAsync(sync.Id);
    }

    /// <summary>Advances to the Sync's next run and runs it.</summary>
    private async Task RunNextAsync(Guid syncId)
    {
        H.AdvanceTo((await H.SyncAsync(syncId)).NextRunAt!.Value);
        Assert.Equal(1, await H.RunDueAsync());
    }

    [Fact]
    public async Task Scheduled_runs_that_change_nothing_share_one_entry_and_a_run_with_changes_starts_a_new_one()
    {
        var sync = await IdleFakeSyncAsync();
        var firstStart = (await H.SyncAsync(sync.Id)).NextRunAt!.Value;
        for (var i = 0; i < 3; i++)
        {
            await RunNextAsync(sync.Id);
        }
        var lastStart = H.Now;

        var runs = await H.RunsAsync(sync.Id); // oldest first
        Assert.Equal([(RunType.Initial, 1), (RunType.Incremental, 3)], runs.Select(r => (r.Type, r.RunCount)));
        Assert.Equal((firstStart, lastStart), (runs[1].StartedAt, runs[1].LastStartedAt));

        H.Fake.Put("b", "B");
        await RunNextAsync(sync.Id);
        await RunNextAsync(sync.Id);
        await RunNextAsync(sync.Id);

        runs = await H.RunsAsync(sync.Id);
        Assert.Equal([1, 3, 1, 2], runs.Select(r => r.RunCount));
        Assert.Null(runs[2].CollapsedRuns); // the run that wrote "b" has its own entry
        Assert.All(runs, r => Assert.Equal(RunState.Succeeded, r.State));
        // The event log tells the runs with something to report: the INITIAL one and the one that wrote "b", whose
        // run_started (quiet until then) comes with its end, after its record event.
        var logged = (await ((IEventStore)H.Store).ListSyncEventsAsync(EngineHarness.Scope, sync.Id, 0, 10_000))!
            .Events.Where(e => e.Type is EventTypes.RunStarted or EventTypes.RunFinished or EventTypes.RecordCreated)
            .Select(e => e.Type).ToList();
        Assert.Equal([EventTypes.RunStarted, EventTypes.RunFinished, EventTypes.RecordCreated, EventTypes.RunStarted, EventTypes.RunFinished],
            logged);
    }

    [Fact]
    public async Task Retention_deletes_old_entries_in_batches_and_keeps_the_newest_20()
    {
        var sync = await IdleFakeSyncAsync();
        for (var i = 0; i < 25; i++)
        {
            H.Fake.Put("r" + i, "R"); // every run changes a record: an entry each
            await RunNextAsync(sync.Id);
        }
        Assert.Equal(26, (await H.RunsAsync(sync.Id)).Count);
        H.AdvanceTo(H.Now + TimeSpan.FromDays(8));
        Assert.Equal(1, await H.RunDueAsync()); // 8 days late, and young
        var options = new EngineOptions { RunRetention = TimeSpan.FromDays(7), RunRetentionBatch = 3 };
        var retention = new RunRetention((IRunHistoryStore)H.Store, H.Time, Options.Create(options), NullLogger<RunRetention>.Instance);

        Assert.Equal(7, await retention.PurgeExpiredAsync(CancellationToken.None)); // 27 entries, the newest 20 kept
        Assert.Equal(0, await retention.PurgeExpiredAsync(CancellationToken.None));

        var runs = await H.RunsAsync(sync.Id);
        Assert.Equal(20, runs.Count);
        Assert.Equal(H.Now, runs[^1].StartedAt);
        Assert.DoesNotContain(runs, r => r.Type == RunType.Initial);
    }
}
