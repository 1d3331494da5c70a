using GrpcSync.Domain;
using GrpcSync.Engine.Configuration;
using GrpcSync.Engine.Tests.Infrastructure;

namespace GrpcSync.Engine.Tests;

/// <summary>Run endings are written in group commits (<see cref="EngineOptions.FinishBatch"/>).</summary>
public abstract class GroupCommitTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : GroupCommitTests(TestStore.Sqlite);

    public sealed class OnPostgres() : GroupCommitTests(TestStore.Postgres);

    /// <summary>
    /// Runs <paramref name="count"/> Syncs: the first run ends alone and its group commit is held at a gate;
    /// then the other runs end and queue behind it. Returns with the gate still closed.
    /// </summary>
    private async Task<(List<Sync> Syncs, Gate FirstBatch)> EndRunsBehindAHeldBatchAsync(int count)
    {
        H.Options.MaxConcurrentRuns = count;
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var syncs = new List<Sync>();
        for (var i = 0; i < count; i++)
        {
            syncs.Add(await H.EnableAsync(credential, configurationName: $"sync-{i}"));
        }
        var others = new Gate();
        H.Fake.Then(H.Fake.ServeItemsAsync); // the first run to call the source ends at once
        for (var i = 1; i < count; i++)
        {
            H.Fake.ThenBlock(others);
        }
        var firstBatch = new Gate();
        H.EngineStore.BeforeBatch = firstBatch;
        try
        {
            Assert.Equal(count, await H.Engine.DispatchOnceAsync());
            await firstBatch.WaitEnteredAsync();
            others.Release();
            await EngineHarness.EventuallyAsync(() => Task.FromResult(H.Engine.FinishesWaiting == count - 1),
                what: "the other run endings queued behind the held batch");
            Assert.Equal(count, H.Engine.InFlightCount); // no run counts as ended before its end is written
            return (syncs, firstBatch);
        }
        catch
        {
            others.Release();
            firstBatch.Release(); // let the engine stop
            throw;
        }
    }

    [Fact]
    public async Task Runs_that_end_while_a_group_commit_is_writing_are_written_together_in_the_next_one()
    {
        var (syncs, firstBatch) = await EndRunsBehindAHeldBatchAsync(5);

        firstBatch.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        Assert.Equal([1, 4], H.EngineStore.BatchSizes);
        foreach (var sync in syncs)
        {
            Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
            var run = Assert.Single(await H.RunsAsync(sync.Id));
            Assert.Equal((RunState.Succeeded, 1), (run.State, run.Attempt));
            Assert.Single(await H.LiveRecordsAsync(sync.Id));
        }
    }

    [Fact]
    public async Task A_failed_group_commit_writes_its_runs_one_by_one_so_no_run_end_is_lost()
    {
        H.EngineStore.FailBatches = true;
        var (syncs, firstBatch) = await EndRunsBehindAHeldBatchAsync(3);

        firstBatch.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        Assert.Equal([1, 2], H.EngineStore.BatchSizes); // both failed
        foreach (var sync in syncs)
        {
            Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
            Assert.Equal(RunState.Succeeded, Assert.Single(await H.RunsAsync(sync.Id)).State);
        }
        Assert.Equal(2, H.Logs.Lines.Count(l => l.Contains("one by one", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task With_FinishBatch_1_every_run_end_is_written_alone()
    {
        H.Options.FinishBatch = 1;
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);

        Assert.Equal(1, await H.RunDueAsync());

        Assert.Empty(H.EngineStore.BatchSizes);
        Assert.Equal(RunState.Succeeded, Assert.Single(await H.RunsAsync(sync.Id)).State);
    }
}
