using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>Run history that stays bounded: no-change runs folded into one entry, folded ids, retention in steps.</summary>
public abstract partial class EngineStoreContract
{
    private IRunHistoryStore History => (IRunHistoryStore)Engine;

    /// <summary>Starts the Sync's scheduled run at <paramref name="now"/> and finishes it a second later with <paramref name="counts"/>.</summary>
    private async Task<SyncRun> RunScheduledAsync(Guid syncId, DateTimeOffset now, RunCounts counts)
    {
        var run = await StartRunAsync(syncId, now);
        Assert.Equal(RunTrigger.Schedule, run.Trigger);
        var change = await Engine.MutateSyncAsync(syncId,
            s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.Succeeded(null), now.AddSeconds(1), Policy, counts));
        Assert.False(change!.Result.Fenced);
        return run;
    }

    private async Task<IReadOnlyList<SyncRun>> HistoryAsync(Guid syncId) => (await Store.ListRunsAsync(Alice, syncId, 100, null))!.Runs;

    [Fact]
    public async Task NoChangeRuns_FoldIntoOneEntry_AndARunWithChangesAfterThemStartsANewOne()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var initial = await StartRunAsync(sync.Id, T0);
        await FinishAsync(initial, T0.AddSeconds(1));
        // Three minutes apart: always due (a late start re-phases within two intervals).
        var r1 = await RunScheduledAsync(sync.Id, T0.AddMinutes(3), RunCounts.None);
        var r2 = await RunScheduledAsync(sync.Id, T0.AddMinutes(6), RunCounts.None);
        var r3 = await RunScheduledAsync(sync.Id, T0.AddMinutes(9), RunCounts.None);

        var history = await HistoryAsync(sync.Id);
        Assert.Equal([r1.Id, initial.Id], history.Select(r => r.Id));
        var entry = history[0];
        Assert.Equal(3, entry.CollapsedRuns);
        Assert.Equal(RunState.Succeeded, entry.State);
        Assert.Equal(r1.CreatedAt, entry.CreatedAt);
        Assert.Equal(T0.AddMinutes(3), entry.StartedAt);
        Assert.Equal(T0.AddMinutes(9), entry.LastStartedAt);
        Assert.Equal(T0.AddMinutes(9).AddSeconds(1), entry.FinishedAt);
        Assert.Null(history[1].CollapsedRuns);
        Assert.Equal(2, await Database.QueryLongsAsync("SELECT COUNT(*) FROM sync_runs").ContinueWith(t => t.Result[0]));

        // A folded run's id answers with its entry; the entry's own id and the latest run's too.
        Assert.Equal(entry, await Store.GetRunAsync(Alice, sync.Id, r2.Id));
        Assert.Equal(entry, await Store.GetRunAsync(Alice, sync.Id, r3.Id));
        Assert.Equal(entry, await Store.GetRunAsync(Alice, sync.Id, r1.Id));
        Assert.Null(await Store.GetRunAsync(Bob, sync.Id, r2.Id));
        Assert.Null(await Store.GetRunAsync(Alice, sync.Id, Guid.CreateVersion7(T0.AddMinutes(30))));

        var changed = await RunScheduledAsync(sync.Id, T0.AddMinutes(12), new RunCounts(1, 0, 0));
        var r5 = await RunScheduledAsync(sync.Id, T0.AddMinutes(15), RunCounts.None);
        var r6 = await RunScheduledAsync(sync.Id, T0.AddMinutes(18), RunCounts.None);

        history = await HistoryAsync(sync.Id);
        Assert.Equal([r5.Id, changed.Id, r1.Id, initial.Id], history.Select(r => r.Id));
        Assert.Equal([2, (int?)null, 3, null], history.Select(r => r.CollapsedRuns));
        Assert.Equal(T0.AddMinutes(18), history[0].LastStartedAt);
        Assert.Equal(history[0], await Store.GetRunAsync(Alice, sync.Id, r6.Id));
    }

    [Fact]
    public async Task NoChangeRuns_FoldInAGroupCommit_OfSeveralSyncs()
    {
        var syncs = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            var (sync, _) = await InsertSyncAsync(Alice, "s" + i);
            syncs.Add(sync.Id);
        }
        foreach (var at in new[] { T0, T0.AddMinutes(3), T0.AddMinutes(6) })
        {
            var started = await DispatchAsync(at);
            Assert.Equal(2, started.Count);
            var results = await Engine.MutateSyncsAsync(started.Select(s => (s.Sync.Id, (Func<SyncSnapshot, SyncChange<FinishResult>>)(
                snapshot => RunRules.Finish(snapshot, s.Run.Id, s.Run.Attempt, new RunOutcome.Succeeded(null), at.AddSeconds(1), Policy,
                    RunCounts.None)))).ToList());
            Assert.All(results, r => Assert.False(r!.Result.Fenced));
        }

        foreach (var id in syncs)
        {
            // The INITIAL run keeps its own entry; the two scheduled ones share one.
            Assert.Equal([2, (int?)null], (await HistoryAsync(id)).Select(r => r.CollapsedRuns));
        }
    }

    /// <summary>Finished entries of a Sync written straight in, created at the given times (ids UUIDv7 of those times).</summary>
    private async Task AddFinishedEntriesAsync(Guid syncId, IEnumerable<DateTimeOffset> times,
        Func<SyncRun, SyncRun>? shape = null)
    {
        var runs = times.Select(at => (shape ?? (r => r))(new SyncRun
        {
            Id = Guid.CreateVersion7(at),
            SyncId = syncId,
            Type = RunType.Incremental,
            Trigger = RunTrigger.Schedule,
            State = RunState.Succeeded,
            CreatedAt = at,
            DueAt = at,
            StartedAt = at,
            FinishedAt = at.AddSeconds(1),
            Attempt = 1,
        })).ToList();
        await Engine.MutateSyncAsync(syncId, s => new SyncChange<bool>(null, runs, [], true));
    }

    private async Task<long> RunRowsAsync(Guid syncId) =>
        (await Database.QueryLongsAsync($"SELECT COUNT(*) FROM sync_runs WHERE sync_id = '{syncId:D}'"))[0];

    [Fact]
    public async Task Retention_DeletesOldEntriesInBoundedSteps_AndKeepsEachSyncsNewest20()
    {
        var old = T0.AddDays(-20);
        var cutoff = T0.AddDays(-7);
        // A: its queued INITIAL run (open: never deleted) and 30 old entries: the oldest 10 go.
        var (a, _) = await InsertSyncAsync(Alice, "a", at: old.AddMinutes(-1));
        await AddFinishedEntriesAsync(a.Id, Enumerable.Range(0, 30).Select(i => old.AddMinutes(i)));
        // B: 5 old entries and its INITIAL run: all among its newest 20.
        var (b, _) = await InsertSyncAsync(Alice, "b", at: old.AddMinutes(-1));
        await AddFinishedEntriesAsync(b.Id, Enumerable.Range(0, 5).Select(i => old.AddHours(1).AddMinutes(i)));
        // C: 22 old entries, 3 recent; its oldest old entry is a collapsed one last started after the cutoff (kept).
        var (c, _) = await InsertSyncAsync(Alice, "c", at: old.AddMinutes(-1));
        await AddFinishedEntriesAsync(c.Id, [old.AddHours(2)],
            r => r with { CollapsedRuns = 9, LastStartedAt = cutoff.AddHours(1), FinishedAt = cutoff.AddHours(1) });
        await AddFinishedEntriesAsync(c.Id, Enumerable.Range(1, 21).Select(i => old.AddHours(2).AddMinutes(i)));
        await AddFinishedEntriesAsync(c.Id, Enumerable.Range(0, 3).Select(i => T0.AddMinutes(-i)));

        var steps = new List<RunTrimStep>();
        Guid? after = null;
        do
        {
            var step = await History.TrimRunHistoryAsync(cutoff, after, 7);
            steps.Add(step);
            after = step.Next;
        }
        while (after is not null && steps.Count < 100);

        // 60 entries created before the cutoff, looked at 7 a step: 9 steps, none larger than its bound.
        Assert.Equal(9, steps.Count);
        Assert.All(steps, s => Assert.InRange(s.Examined, 0, 7));
        Assert.Equal(60, steps.Sum(s => s.Examined));
        Assert.Equal(10 + 4, steps.Sum(s => s.Deleted));
        Assert.Equal(21, await RunRowsAsync(a.Id));
        Assert.Equal(6, await RunRowsAsync(b.Id));
        Assert.Equal(22, await RunRowsAsync(c.Id));
        // The newest 20 of A are its 20 newest entries; its oldest entries went, its open INITIAL run stayed.
        var historyA = await HistoryAsync(a.Id);
        Assert.Equal(old.AddMinutes(29), historyA[0].CreatedAt);
        Assert.Equal(old.AddMinutes(10), historyA[19].CreatedAt);
        Assert.Equal(RunState.Queued, historyA[20].State);
        Assert.Contains(await HistoryAsync(c.Id), r => r.CollapsedRuns == 9);

        // A second pass finds nothing more to delete.
        var again = await History.TrimRunHistoryAsync(cutoff, null, 1000);
        Assert.Equal(0, again.Deleted);
        Assert.Null(again.Next);
    }
}
