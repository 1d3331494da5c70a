using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>The dispatcher's claim of due work, and batched mutations (MutateSyncs).</summary>
public abstract partial class EngineStoreContract
{
    // ================= Dispatch =================

    [Fact]
    public async Task Dispatch_DueQueuedRun_StartsItUnderALease()
    {
        var (sync, initial) = await InsertSyncAsync(Alice);
        var now = T0.AddSeconds(1);

        Assert.Empty(await DispatchAsync(T0.AddMilliseconds(-1))); // not due yet
        var started = await DispatchAsync(now, owner: "worker-a");

        var (startedSync, run) = Assert.Single(started);
        Assert.Equal(initial.Id, run.Id);
        Assert.Equal(RunState.Running, run.State);
        Assert.Equal(1, run.Attempt);
        Assert.Equal(now, run.StartedAt);
        Assert.Equal("worker-a", run.LeaseOwner);
        Assert.Equal(now + Policy.Lease, run.LeaseExpiresAt);
        Assert.Equal(SyncStatus.Active, startedSync.Status);
        Assert.Equal(sync.Version + 1, startedSync.Version);
        Assert.Equal(now, startedSync.LastRunStartedAt);

        var stored = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.NotNull(stored);
        Assert.Equal(SyncStatus.Active, stored.Sync.Status);
        Assert.Equal(startedSync.Version, stored.Sync.Version);
        Assert.Equal(startedSync.NextRunAt?.TruncateToMilliseconds(), stored.Sync.NextRunAt);
        Assert.Equal([run], stored.OpenRuns);
        AssertSameSnapshot(stored, await Engine.GetSyncAsync(sync.Id)); // by id alone: the same snapshot
    }

    [Fact]
    public async Task Dispatch_NextRunDueAndNoOpenRun_CreatesTheScheduledRun()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var initial = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        var finished = T0.AddSeconds(2);
        await FinishAsync(initial, finished);
        var idle = (await Engine.GetSyncAsync(sync.Id))!;
        Assert.Empty(idle.OpenRuns);
        Assert.Equal(SyncStatus.Idle, idle.Sync.Status);
        Assert.Equal(finished, idle.Sync.LastFullSyncAt); // the INITIAL run counts as a full sync
        var next = idle.Sync.NextRunAt!.Value;

        Assert.Empty(await DispatchAsync(next.AddMilliseconds(-1)));
        var (_, run) = Assert.Single(await DispatchAsync(next));

        Assert.NotEqual(initial.Id, run.Id);
        Assert.Equal(RunType.Incremental, run.Type);
        Assert.Equal(RunTrigger.Schedule, run.Trigger);
        Assert.Equal(RunState.Running, run.State);
        Assert.Equal(1, run.Attempt);
        Assert.Equal([run], (await Engine.GetSyncAsync(sync.Id))!.OpenRuns);
        Assert.Equal(2, (await Store.ListRunsAsync(Alice, sync.Id, 100, null))!.Runs.Count);
    }

    [Fact]
    public async Task Dispatch_DisabledOrErroredSyncs_AreNeverDispatched()
    {
        // Disabled with its initial run still queued and due; errored while its run was running.
        var (disabled, _) = await InsertSyncAsync(Alice, "disabled");
        await ForceStatusAsync(disabled.Id, SyncStatus.Disabled);
        var (errored, _) = await InsertSyncAsync(Alice, "errored");
        await StartRunAsync(errored.Id, T0.AddSeconds(1));
        await ForceStatusAsync(errored.Id, SyncStatus.Errored);
        var later = T0.AddHours(2); // every lease expired, every next_run_at passed
        var calls = 0;

        var started = await Engine.DispatchAsync(later, 100, s =>
        {
            Interlocked.Increment(ref calls);
            return RunRules.Dispatch(s, later, "worker-1", Policy);
        });

        Assert.Empty(started);
        Assert.Equal(0, calls); // not even candidates
    }

    [Fact]
    public async Task Dispatch_RunningRunWithALiveLease_BlocksItsSync()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.MutateSyncAsync(sync.Id, s => RunRules.Trigger(s, RunType.Full, T0.AddSeconds(2))); // queued and due
        Assert.True(await Engine.RenewLeaseAsync(run.SyncId, run.Id, run.Attempt, T0.AddHours(1)));
        var later = T0.AddMinutes(30); // next_run_at passed too
        var calls = 0;

        var started = await Engine.DispatchAsync(later, 100, s =>
        {
            Interlocked.Increment(ref calls);
            return RunRules.Dispatch(s, later, "worker-2", Policy);
        });

        Assert.Empty(started);
        Assert.Equal(0, calls);
        var open = (await Engine.GetSyncAsync(sync.Id))!.OpenRuns;
        Assert.Equal([RunState.Running, RunState.Queued], open.Select(r => r.State));
        Assert.Equal(run with { LeaseExpiresAt = T0.AddHours(1) }, open[0]);
    }

    [Fact]
    public async Task Dispatch_BusySyncs_DoNotFillTheBatch()
    {
        // Busy Syncs (running under a live lease, with a queued run due and next_run_at passed) come first
        // in due order if they are candidates at all; with max 1 they must not keep the due Sync waiting.
        for (var i = 0; i < 3; i++)
        {
            var (busy, _) = await InsertSyncAsync(Alice, $"busy-{i}", at: T0.AddMinutes(-30));
            var run = await StartRunAsync(busy.Id, T0.AddMinutes(-30).AddSeconds(1));
            await Engine.MutateSyncAsync(busy.Id, s => RunRules.Trigger(s, RunType.Full, T0.AddMinutes(-29)));
            Assert.True(await Engine.RenewLeaseAsync(run.SyncId, run.Id, run.Attempt, T0.AddHours(1)));
        }
        var (due, dueRun) = await InsertSyncAsync(Alice, "due", at: T0);

        var (_, started) = Assert.Single(await DispatchAsync(T0.AddSeconds(1), max: 1));

        Assert.Equal(dueRun.Id, started.Id);
        Assert.Equal(due.Id, started.SyncId);
    }

    [Fact]
    public async Task Dispatch_ReturnsAtMostMax_SoonestDueFirst()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var (sync, _) = await InsertSyncAsync(Alice, $"s{i}", at: T0.AddSeconds(10 - i)); // s4 is due first
            ids.Add(sync.Id);
        }

        var first = await DispatchAsync(T0.AddMinutes(1).AddSeconds(-30), max: 2);
        var rest = await DispatchAsync(T0.AddMinutes(1).AddSeconds(-30), max: 10);

        Assert.Equal([ids[4], ids[3]], first.Select(s => s.Sync.Id));
        Assert.Equal([ids[2], ids[1], ids[0]], rest.Select(s => s.Sync.Id));
    }

    [Fact]
    public async Task Dispatch_OnTimeWorkComesFirst_ButAFullRoundLeavesTheOldestBacklogOneSlotInTen()
    {
        var now = T0.AddHours(1);
        var backlog = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var (sync, _) = await InsertSyncAsync(Alice, $"late-{i}", at: now.AddMinutes(-30 + i)); // late-0 is the oldest
            backlog.Add(sync.Id);
        }
        var onTime = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            var (sync, _) = await InsertSyncAsync(Alice, $"fresh-{i}", at: now.AddMilliseconds(-3_000 + 100 * i)); // within the window
            onTime.Add(sync.Id);
        }

        var full = (await DispatchAsync(now, max: 10)).Select(s => s.Sync.Id).ToList();
        var rest = (await DispatchAsync(now, max: 10)).Select(s => s.Sync.Id).ToList();

        // Nine on-time Syncs in due order, then the oldest backlog Sync (its rank ties with the tenth on-time one; older wins).
        Assert.Equal([.. onTime.Take(9), backlog[0]], full);
        // Fewer on-time Syncs than slots: the rest of the backlog fills the round, oldest first.
        Assert.Equal([.. onTime.Skip(9), backlog[1], backlog[2]], rest);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(10)]
    [InlineData(14)]
    public async Task Dispatch_ScheduledBacklog_GetsWhatOnTimeWorkLeaves_AndOneSlotInTenOfAFullRound(int onTimeCount)
    {
        // Syncs that ran before and come due by their schedule (next_run_at, no open run): the round's backlog part is cut
        // by what the on-time part found, and that cut must never cost the backlog a place the interleave gives it.
        var now = T0.AddHours(2);
        var backlog = await ScheduledSyncsAsync("late", 12, i => now.AddMinutes(-30).AddSeconds(i));
        var onTime = await ScheduledSyncsAsync("fresh", onTimeCount, i => now.AddMilliseconds(-3_000 + 100 * i));

        var round = (await DispatchAsync(now, max: 10)).Select(s => s.Sync.Id).ToList();

        // The interleave, independently: the i-th on-time Sync ranks i, the j-th backlog Sync ranks 10 j; a tie goes to the
        // older (the backlog); the round takes the ten best.
        var expected = onTime.Select((id, i) => (Id: id, Rank: i + 1, Late: 1))
            .Concat(backlog.Select((id, j) => (Id: id, Rank: 10 * (j + 1), Late: 0)))
            .OrderBy(c => c.Rank).ThenBy(c => c.Late).Take(10).Select(c => c.Id).ToList();
        Assert.Equal(expected, round);
    }

    /// <summary>
    /// <paramref name="count"/> Syncs that have run once (their INITIAL run started and succeeded) and are next due at
    /// <paramref name="dueAt"/>(i), in that order: work found by the schedule, not by a queued run.
    /// </summary>
    private async Task<List<Guid>> ScheduledSyncsAsync(string prefix, int count, Func<int, DateTimeOffset> dueAt)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var (sync, _) = await InsertSyncAsync(Alice, $"{prefix}-{i}", at: T0, bound: false);
            var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
            await FinishAsync(run, T0.AddSeconds(2));
            var due = dueAt(i);
            await Engine.MutateSyncAsync(sync.Id, s => new SyncChange<bool>(
                s.Sync with { NextRunAt = due, Version = s.Sync.Version + 1 }, [], [], true));
            ids.Add(sync.Id);
        }
        return ids;
    }

    [Fact]
    public async Task MutateSyncs_FinishesEveryRun_AndAnswersInInputOrder_NullForAnUnknownSync()
    {
        var runs = new List<SyncRun>();
        for (var i = 0; i < 3; i++)
        {
            var (sync, _) = await InsertSyncAsync(Alice, $"s{i}");
            runs.Add(await StartRunAsync(sync.Id, T0.AddSeconds(1)));
        }
        var finished = T0.AddSeconds(2);
        Func<SyncSnapshot, SyncChange<FinishResult>> Finish(SyncRun run) =>
            s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.Succeeded(null), finished, Policy);
        // Not in id order, with an unknown Sync in the middle: results must follow the input.
        var order = runs.OrderByDescending(r => r.SyncId).ToList();

        var results = await Engine.MutateSyncsAsync<FinishResult>(
            [(order[0].SyncId, Finish(order[0])), (Guid.NewGuid(), Finish(order[0])), (order[1].SyncId, Finish(order[1])), (order[2].SyncId, Finish(order[2]))]);

        Assert.Equal(4, results.Count);
        Assert.Null(results[1]);
        foreach (var (run, result) in new[] { (order[0], results[0]), (order[1], results[2]), (order[2], results[3]) })
        {
            Assert.NotNull(result);
            Assert.False(result.Result.Fenced);
            Assert.Equal(run.SyncId, result.NewSync?.Id);
            var stored = (await Engine.GetSyncAsync(run.SyncId))!;
            Assert.Empty(stored.OpenRuns);
            Assert.Equal(SyncStatus.Idle, stored.Sync.Status);
            Assert.Equal(result.NewSync!.Version, stored.Sync.Version);
        }
    }

    [Fact]
    public async Task ARoundOfMoreSyncsThanOneIdListHeld_IsDispatchedAndFinishedWhole()
    {
        // 700: more ids than one IN list used to carry (500), read as one set of ids.
        var syncs = new List<Guid>();
        for (var i = 0; i < 700; i++)
        {
            syncs.Add((await InsertSyncAsync(Alice, $"s{i}", bound: false)).Sync.Id);
        }

        var started = await DispatchAsync(T0.AddSeconds(1), max: 1000);
        Assert.Equal(syncs.Order(), started.Select(s => s.Sync.Id).Order());
        var finished = T0.AddSeconds(2);
        var results = await Engine.MutateSyncsAsync<FinishResult>([.. started.Select(s => (s.Sync.Id,
            (Func<SyncSnapshot, SyncChange<FinishResult>>)(snapshot =>
                RunRules.Finish(snapshot, s.Run.Id, s.Run.Attempt, new RunOutcome.Succeeded(null), finished, Policy))))]);

        Assert.Equal(700, results.Count(r => r is { Result.Fenced: false }));
        foreach (var id in syncs)
        {
            var stored = (await Engine.GetSyncAsync(id))!;
            Assert.Empty(stored.OpenRuns);
            Assert.Equal(SyncStatus.Idle, stored.Sync.Status);
        }
    }

    [Fact]
    public async Task MutateSyncs_TheSameSyncTwice_TheSecondDecisionSeesTheFirst()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        Func<SyncSnapshot, SyncChange<FinishResult>> finish =
            s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.Succeeded(null), T0.AddSeconds(2), Policy);

        var results = await Engine.MutateSyncsAsync<FinishResult>([(sync.Id, finish), (sync.Id, finish)]);

        Assert.False(results[0]!.Result.Fenced);
        Assert.True(results[1]!.Result.Fenced); // the run had already ended: the second report is refused
        var stored = (await Engine.GetSyncAsync(sync.Id))!;
        Assert.Empty(stored.OpenRuns);
        Assert.Equal(results[0]!.NewSync!.Version, stored.Sync.Version);
    }

    [Fact]
    public async Task MutateSyncs_OneDecisionThrows_WritesNothingOfTheBatch()
    {
        var (first, _) = await InsertSyncAsync(Alice, "first");
        var (second, _) = await InsertSyncAsync(Alice, "second");
        var runOfFirst = await StartRunAsync(first.Id, T0.AddSeconds(1));
        var before = (await Engine.GetSyncAsync(first.Id))!;

        await Assert.ThrowsAsync<InvalidOperationException>(() => Engine.MutateSyncsAsync<FinishResult>(
        [
            (first.Id, s => RunRules.Finish(s, runOfFirst.Id, runOfFirst.Attempt, new RunOutcome.Succeeded(null), T0.AddSeconds(2), Policy)),
            (second.Id, _ => throw new InvalidOperationException("decision failed")),
        ]));

        AssertSameSnapshot(before, await Engine.GetSyncAsync(first.Id));
        Assert.Equal([RunState.Running], (await Engine.GetSyncAsync(first.Id))!.OpenRuns.Select(r => r.State));
    }

    [Fact]
    public async Task Dispatch_ExpiredLease_IsReclaimedUnderTheNextAttempt_AndTheOldAttemptIsFenced()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var t1 = T0.AddSeconds(1);
        var first = await StartRunAsync(sync.Id, t1, "worker-a");
        Assert.True(await Engine.RenewLeaseAsync(first.SyncId, first.Id, 1, t1.AddSeconds(60)));
        Assert.Empty(await DispatchAsync(t1.AddSeconds(45), owner: "worker-b")); // renewed: still held

        var reclaimedAt = t1.AddSeconds(61);
        var (_, second) = Assert.Single(await DispatchAsync(reclaimedAt, owner: "worker-b"));

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(2, second.Attempt);
        Assert.Equal("worker-b", second.LeaseOwner);
        Assert.Equal(reclaimedAt + Policy.Lease, second.LeaseExpiresAt);

        // The first worker lost the run: its renewals and writes are refused and change nothing.
        var before = await Engine.GetSyncAsync(sync.Id);
        Assert.False(await Engine.RenewLeaseAsync(first.SyncId, first.Id, 1, reclaimedAt.AddMinutes(10)));
        var fenced = await Engine.WriteRecordPageAsync(Page(first, [Upsert(sync.Id, "a")], reclaimedAt, reconcile: true, "stale"));
        Assert.Equal(new RecordPageResult(true, 0, 0, 0), fenced);
        AssertSameSnapshot(before, await Engine.GetSyncAsync(sync.Id));
        Assert.Empty((await Records.ListRecordsAsync(Alice, sync.Id, 0, 100))!.Records);

        // The second one holds it.
        Assert.True(await Engine.RenewLeaseAsync(second.SyncId, second.Id, 2, reclaimedAt.AddSeconds(40)));
        Assert.Equal(new RecordPageResult(false, 1, 0, 0),
            await Engine.WriteRecordPageAsync(Page(second, [Upsert(sync.Id, "a")], reclaimedAt.AddSeconds(1))));
        await FinishAsync(second, reclaimedAt.AddSeconds(2));
        Assert.False(await Engine.RenewLeaseAsync(second.SyncId, second.Id, 2, reclaimedAt.AddSeconds(60))); // finished
    }

    [Fact]
    public async Task Dispatch_ConcurrentDispatchers_StartEveryRunExactlyOnce()
    {
        // Four dispatchers on separate store instances (as replicas or processes would be), started
        // together, each claiming batches of 10 until nothing is left.
        const int syncs = 200, dispatchers = 4;
        for (var i = 0; i < syncs; i++)
        {
            await InsertSyncAsync(Alice, $"sync-{i:D3}", bound: false);
        }
        var instances = Enumerable.Range(0, dispatchers).Select(_ => Database.OpenStore()).ToArray();
        var now = T0.AddSeconds(1);

        var claims = await RunTogetherAsync(dispatchers, async i =>
        {
            var mine = new List<(Sync Sync, SyncRun Run)>();
            while (true)
            {
                var batch = await instances[i].DispatchAsync(now, 10, s => RunRules.Dispatch(s, now, $"worker-{i}", Policy));
                if (batch.Count == 0)
                {
                    return mine;
                }
                mine.AddRange(batch);
            }
        });

        var all = claims.SelectMany(c => c).ToArray();
        Assert.Equal(syncs, all.Length);
        Assert.Equal(syncs, all.Select(c => c.Run.Id).Distinct().Count());
        Assert.Equal(syncs, all.Select(c => c.Sync.Id).Distinct().Count());
        Assert.All(all, c => Assert.Equal((RunState.Running, 1, c.Sync.Id), (c.Run.State, c.Run.Attempt, c.Run.SyncId)));
        foreach (var sync in await Store.ListSyncsAsync(Alice, null))
        {
            var open = (await Engine.GetSyncAsync(sync.Id))!.OpenRuns;
            var run = Assert.Single(open);
            Assert.Equal((RunState.Running, 1), (run.State, run.Attempt));
            Assert.Equal(2, sync.Version); // decided and written once
        }
        Assert.Empty(await DispatchAsync(now));
    }

    [Fact]
    public async Task Dispatch_DecideThrows_WritesNothingOfTheBatch()
    {
        var (first, _) = await InsertSyncAsync(Alice, "first", at: T0);
        var (second, _) = await InsertSyncAsync(Alice, "second", at: T0.AddSeconds(1));
        var now = T0.AddSeconds(5);
        var thrown = new InvalidOperationException("boom");

        var caught = await Assert.ThrowsAsync<InvalidOperationException>(() => Engine.DispatchAsync(now, 10,
            s => s.Sync.Id == second.Id ? throw thrown : RunRules.Dispatch(s, now, "worker-1", Policy)));

        Assert.Same(thrown, caught);
        Assert.Equal(RunState.Queued, Assert.Single((await Engine.GetSyncAsync(first.Id))!.OpenRuns).State);
        Assert.Equal(1, (await Engine.GetSyncAsync(first.Id))!.Sync.Version);
    }
}
