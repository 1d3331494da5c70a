using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>
/// Scheduled INCREMENTAL runs kept on their Sync's row while they run, and the no-change streak's figures kept there
/// too: what every reader sees is the same history as if each run had a row of its own.
/// </summary>
public abstract partial class EngineStoreContract
{
    private async Task<long> RowRunsAsync(Guid syncId) =>
        (await Database.QueryLongsAsync($"SELECT COUNT(*) FROM syncs WHERE id = '{syncId:D}' AND row_run_id IS NOT NULL"))[0];

    private async Task<long?> StoredCollapsedRunsAsync(Guid runId) =>
        (await Database.QueryLongsAsync($"SELECT COALESCE(collapsed_runs, -1) FROM sync_runs WHERE id = '{runId:D}'")) is [var n]
            ? n : null;

    /// <summary>A Sync whose INITIAL run has finished, so its next run is a scheduled INCREMENTAL one.</summary>
    private async Task<(Sync Sync, SyncRun Initial)> IdleSyncAsync()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var initial = await StartRunAsync(sync.Id, T0);
        await FinishAsync(initial, T0.AddSeconds(1));
        return (sync, initial);
    }

    [Fact]
    public async Task AScheduledRun_WhileItRuns_LivesOnItsSyncsRow_AndReadsAsAnOpenRun()
    {
        var (sync, initial) = await IdleSyncAsync();
        var at = T0.AddMinutes(3);
        var run = await StartRunAsync(sync.Id, at);
        Assert.Equal((RunType.Incremental, RunTrigger.Schedule, RunState.Running), (run.Type, run.Trigger, run.State));

        // No run row: the Sync's row holds it.
        Assert.Equal(1, await RunRowsAsync(sync.Id));
        Assert.Equal(1, await RowRunsAsync(sync.Id));
        // Every reader sees it as stored.
        Assert.Equal(run, Assert.Single((await Engine.GetSyncAsync(sync.Id))!.OpenRuns));
        Assert.Equal(run, Assert.Single((await Store.GetSyncAsync(Alice, sync.Id))!.OpenRuns));
        Assert.Equal([run.Id, initial.Id], (await HistoryAsync(sync.Id)).Select(r => r.Id));
        Assert.Equal(run, (await HistoryAsync(sync.Id))[0]);
        Assert.Equal(run, await Store.GetRunAsync(Alice, sync.Id, run.Id));
        Assert.Null(await Store.GetRunAsync(Bob, sync.Id, run.Id));
        // Pages after the run's position leave it out; a page of one holds only it.
        var first = (await Store.ListRunsAsync(Alice, sync.Id, 1, null))!.Runs;
        Assert.Equal([run.Id], first.Select(r => r.Id));
        var second = (await Store.ListRunsAsync(Alice, sync.Id, 1, new RunPosition(run.CreatedAt, run.Id)))!.Runs;
        Assert.Equal([initial.Id], second.Select(r => r.Id));

        // Its lease renews there, only under its attempt; its pages are fenced there.
        Assert.True(await Engine.RenewLeaseAsync(sync.Id, run.Id, run.Attempt, at.AddMinutes(5)));
        Assert.False(await Engine.RenewLeaseAsync(sync.Id, run.Id, run.Attempt + 1, at.AddMinutes(5)));
        Assert.Equal(at.AddMinutes(5), Assert.Single((await Engine.GetSyncAsync(sync.Id))!.OpenRuns).LeaseExpiresAt);
        Assert.True((await Engine.WriteRecordPageAsync(Page(run with { Attempt = run.Attempt + 1 }, at))).Fenced);
        var written = await Engine.WriteRecordPageAsync(Page(run, at));
        Assert.Equal((false, 1), (written.Fenced, written.Created));

        // It blocks another start while its lease lives; once the lease is gone it is taken back, still on the row.
        Assert.Empty(await DispatchAsync(at.AddMinutes(4)));
        var reclaimed = await StartRunAsync(sync.Id, at.AddMinutes(6), owner: "worker-2");
        Assert.Equal((run.Id, run.Attempt + 1, "worker-2"), (reclaimed.Id, reclaimed.Attempt, reclaimed.LeaseOwner));
        Assert.Equal(1, await RowRunsAsync(sync.Id));
        Assert.Equal(1, await RunRowsAsync(sync.Id));
        Assert.False(await Engine.RenewLeaseAsync(sync.Id, run.Id, run.Attempt, at.AddMinutes(10))); // the old attempt lost it
    }

    private static RecordPage Page(SyncRun run, DateTimeOffset now) =>
        new(run.SyncId, run.Id, run.Attempt, [new RecordUpsert(Guid.CreateVersion7(now), "ext-1", """{"a":1}""", "f1")],
            ReconcileUnseen: false, SourceCursor: null, now);

    [Fact]
    public async Task TheStreaksFigures_LiveOnTheRow_UntilANewerEntryEndsIt_ThenItsEntryHasThem()
    {
        var (sync, initial) = await IdleSyncAsync();
        var r1 = await RunScheduledAsync(sync.Id, T0.AddMinutes(3), RunCounts.None);
        var r2 = await RunScheduledAsync(sync.Id, T0.AddMinutes(6), RunCounts.None);
        var r3 = await RunScheduledAsync(sync.Id, T0.AddMinutes(9), RunCounts.None);

        // r1 started the entry (its row written once); r2 and r3 only moved the row's figures.
        Assert.Equal(1, await StoredCollapsedRunsAsync(r1.Id));
        Assert.Null(await StoredCollapsedRunsAsync(r2.Id));
        Assert.Equal(0, await RowRunsAsync(sync.Id));
        var entry = (await HistoryAsync(sync.Id))[0];
        Assert.Equal((r1.Id, 3, T0.AddMinutes(9)), (entry.Id, entry.CollapsedRuns, entry.LastStartedAt));
        Assert.Equal(entry, await Store.GetRunAsync(Alice, sync.Id, r1.Id));
        Assert.Equal(entry, await Store.GetRunAsync(Alice, sync.Id, r2.Id)); // a folded id answers with the entry as it stands

        // A run with changes gets a row of its own, after the entry got the streak's figures.
        var changed = await RunScheduledAsync(sync.Id, T0.AddMinutes(12), new RunCounts(0, 1, 0));
        Assert.Equal(3, await StoredCollapsedRunsAsync(r1.Id));
        Assert.Equal(-1, await StoredCollapsedRunsAsync(changed.Id));
        Assert.Equal(0, (await Database.QueryLongsAsync(
            $"SELECT COUNT(*) FROM syncs WHERE id = '{sync.Id:D}' AND streak_entry_id IS NOT NULL"))[0]);
        var history = await HistoryAsync(sync.Id);
        Assert.Equal([changed.Id, r1.Id, initial.Id], history.Select(r => r.Id));
        Assert.Equal(entry, history[1]);
        Assert.Null(history[0].CollapsedRuns);
        Assert.Equal(RunState.Succeeded, history[0].State);
    }

    [Fact]
    public async Task ATriggeredRun_EndsTheStreak_AndTheNextNoChangeRunStartsANewEntry()
    {
        var (sync, _) = await IdleSyncAsync();
        var r1 = await RunScheduledAsync(sync.Id, T0.AddMinutes(3), RunCounts.None);
        await RunScheduledAsync(sync.Id, T0.AddMinutes(6), RunCounts.None);
        var manual = await StartTriggeredRunAsync(sync.Id, RunType.Incremental, T0.AddMinutes(7));
        Assert.Equal(2, await StoredCollapsedRunsAsync(r1.Id)); // its queuing wrote the streak's figures
        await FinishAsync(manual, T0.AddMinutes(7).AddSeconds(1));
        var r3 = await RunScheduledAsync(sync.Id, T0.AddMinutes(10), RunCounts.None);
        var r4 = await RunScheduledAsync(sync.Id, T0.AddMinutes(13), RunCounts.None);

        var history = await HistoryAsync(sync.Id);
        Assert.Equal([r3.Id, manual.Id, r1.Id], history.Take(3).Select(r => r.Id));
        Assert.Equal([2, (int?)null, 2], history.Take(3).Select(r => r.CollapsedRuns));
        Assert.Equal(history[0], await Store.GetRunAsync(Alice, sync.Id, r4.Id));
    }

    [Fact]
    public async Task ARunOnTheRow_CancelledOrFailed_IsWrittenAsAnEntryOfItsOwn()
    {
        var (sync, _) = await IdleSyncAsync();
        var running = await StartRunAsync(sync.Id, T0.AddMinutes(3));
        await Engine.MutateSyncAsync(sync.Id, s => RunRules.Cancel(s, running.Id, T0.AddMinutes(3).AddSeconds(1)));
        Assert.Equal(0, await RowRunsAsync(sync.Id));
        var cancelled = (await Store.GetRunAsync(Alice, sync.Id, running.Id))!;
        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Equal(-1, await StoredCollapsedRunsAsync(running.Id));

        var failing = await StartRunAsync(sync.Id, T0.AddMinutes(9));
        await Engine.MutateSyncAsync(sync.Id, s => RunRules.Finish(s, failing.Id, failing.Attempt,
            new RunOutcome.TransientFailure("source said no"), T0.AddMinutes(9).AddSeconds(1), Policy));
        // A retry has a row of its own: it is queued, and says so.
        var retried = (await Store.GetRunAsync(Alice, sync.Id, failing.Id))!;
        Assert.Equal(0, await RowRunsAsync(sync.Id));
        Assert.NotEqual(RunState.Running, retried.State);
        Assert.Contains(retried, (await Engine.GetSyncAsync(sync.Id))!.OpenRuns.Concat(await HistoryAsync(sync.Id)));
    }

    [Fact]
    public async Task ARunningRunOnTheRow_TakesItsCredentialsSlot()
    {
        var credential = NewCredential(Alice, T0);
        await Store.InsertCredentialAsync(credential);
        var ids = new List<Guid>();
        foreach (var name in new[] { "a", "b" })
        {
            var (sync, run) = NewSync(Alice, name, credential.Id, T0);
            await Store.InsertSyncAsync(sync, run);
            ids.Add(sync.Id);
        }
        Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchOneSlotAsync(DateTimeOffset now) =>
            Engine.DispatchAsync(now, 100, _ => 1, (s, budget) => RunRules.Dispatch(s, now, "worker-1", Policy, budget));
        foreach (var (_, initial) in await DispatchAsync(T0)) // no cap for the INITIAL runs
        {
            await FinishAsync(initial, T0.AddSeconds(1));
        }

        var later = T0.AddHours(1); // both due
        var (_, onRow) = Assert.Single(await DispatchOneSlotAsync(later));
        Assert.Equal(1, await RowRunsAsync(onRow.SyncId));
        Assert.Empty(await DispatchOneSlotAsync(later.AddSeconds(1))); // the other waits for the slot
        await Engine.MutateSyncAsync(onRow.SyncId, s => RunRules.Finish(s, onRow.Id, onRow.Attempt,
            new RunOutcome.Succeeded(null), later.AddSeconds(2), Policy, RunCounts.None));
        var (next, _) = Assert.Single(await DispatchOneSlotAsync(later.AddSeconds(3)));
        Assert.NotEqual(onRow.SyncId, next.Id);
    }

    [Fact]
    public async Task ARunningRunWrittenBeforeRunsLivedOnRows_StillFinishesAndFolds()
    {
        var (sync, _) = await IdleSyncAsync();
        var r1 = await RunScheduledAsync(sync.Id, T0.AddMinutes(3), RunCounts.None);
        var run = await StartRunAsync(sync.Id, T0.AddMinutes(6));
        // As an older version left it: the RUNNING run in sync_runs, the entry's figures on its own row, none on the Sync's.
        await Database.ExecuteAsync($$"""
            INSERT INTO sync_runs (id, sync_id, run_type, run_trigger, state, created_at, due_at, started_at, attempt, retries,
                                   lease_owner, lease_expires_at)
            SELECT row_run_id, id, 'Incremental', 'Schedule', 'Running', row_run_created_at, row_run_due_at, row_run_started_at,
                   row_run_attempt, 0, row_run_lease_owner, row_run_lease_expires_at FROM syncs WHERE id = '{{sync.Id:D}}';
            UPDATE syncs SET row_run_id = NULL, row_run_created_at = NULL, row_run_due_at = NULL, row_run_started_at = NULL,
                             row_run_attempt = NULL, row_run_lease_owner = NULL, row_run_lease_expires_at = NULL,
                             streak_entry_id = NULL, streak_runs = NULL, streak_last_started_at = NULL, streak_finished_at = NULL
            WHERE id = '{{sync.Id:D}}';
            """);
        Assert.Equal(run, Assert.Single((await Engine.GetSyncAsync(sync.Id))!.OpenRuns));
        Assert.True(await Engine.RenewLeaseAsync(sync.Id, run.Id, run.Attempt, T0.AddMinutes(7)));

        var change = await Engine.MutateSyncAsync(sync.Id, s => RunRules.Finish(s, run.Id, run.Attempt,
            new RunOutcome.Succeeded(null), T0.AddMinutes(6).AddSeconds(1), Policy, RunCounts.None));
        Assert.False(change!.Result.Fenced);
        var r3 = await RunScheduledAsync(sync.Id, T0.AddMinutes(9), RunCounts.None);

        var entry = (await HistoryAsync(sync.Id))[0];
        Assert.Equal((r1.Id, 3, T0.AddMinutes(9)), (entry.Id, entry.CollapsedRuns, entry.LastStartedAt));
        Assert.Null(await StoredCollapsedRunsAsync(run.Id)); // folded: its row went
        Assert.Equal(entry, await Store.GetRunAsync(Alice, sync.Id, r3.Id));
    }
}
