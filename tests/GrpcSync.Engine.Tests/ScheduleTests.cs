using GrpcSync.Domain;
using GrpcSync.Engine.Tests.Infrastructure;

namespace GrpcSync.Engine.Tests;

public abstract class ScheduleTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : ScheduleTests(TestStore.Sqlite);

    public sealed class OnPostgres() : ScheduleTests(TestStore.Postgres);

    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    /// <summary>A fake-source Sync whose initial run has completed at <see cref="EngineHarness.Start"/>.</summary>
    private async Task<Sync> IdleFakeSyncAsync(string? frequency = null)
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential, frequency);
        Assert.Equal(1, await H.RunDueAsync());
        return await H.SyncAsync(sync.Id);
    }

    [Fact]
    public async Task An_incremental_run_follows_one_minute_after_the_initial_run_started()
    {
        var sync = await IdleFakeSyncAsync();
        var next = sync.NextRunAt!.Value;
        // The Sync's own slot of the minute grid, at least half a minute after the first start.
        Assert.InRange(next, EngineHarness.Start + TimeSpan.FromSeconds(30), EngineHarness.Start + TimeSpan.FromSeconds(90) - Ms);
        AssertOnItsSlot(sync, TimeSpan.FromMinutes(1), next);

        H.AdvanceTo(next - Ms);
        Assert.Equal(0, await H.RunDueAsync());

        H.Fake.Put("b", "B");
        H.AdvanceTo(next);
        Assert.Equal(1, await H.RunDueAsync());
        Assert.Equal(0, await H.RunDueAsync());

        var runs = await H.RunsAsync(sync.Id);
        Assert.Equal([RunType.Initial, RunType.Incremental], runs.Select(r => r.Type));
        var incremental = runs[1];
        Assert.Equal(RunTrigger.Schedule, incremental.Trigger);
        Assert.Equal(RunState.Succeeded, incremental.State);
        Assert.Equal(next, incremental.StartedAt);
        // The incremental run asks for changes since the initial run's cursor, not from the start.
        Assert.Equal(new FakeCall(FakeCallKind.ChangesSince, "1", "fake-secret", "{}"), H.Fake.Calls[^1]);
        Assert.Equal(["a", "b"], (await H.LiveRecordsAsync(sync.Id)).Select(r => r.ExternalId).Order(StringComparer.Ordinal));

        var after = await H.SyncAsync(sync.Id);
        Assert.Equal("2", after.SourceCursor);
        Assert.Equal(next + TimeSpan.FromMinutes(1), after.NextRunAt); // on time: the next slot
    }

    [Fact]
    public async Task Syncs_enabled_together_get_different_slots_spread_over_the_interval()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var syncs = new List<Sync>();
        for (var i = 0; i < 20; i++)
        {
            syncs.Add(await H.EnableAsync(credential, configurationName: "s" + i));
        }
        Assert.Equal(20, await H.RunDueAsync());

        var phases = new List<TimeSpan>();
        foreach (var sync in syncs)
        {
            var idle = await H.SyncAsync(sync.Id);
            Assert.Equal(EngineHarness.Start, idle.LastRunStartedAt);
            AssertOnItsSlot(idle, TimeSpan.FromMinutes(1), idle.NextRunAt!.Value);
            phases.Add(idle.NextRunAt!.Value - EngineHarness.Start);
        }

        // Every first scheduled run lies in [30 s, 90 s) after the initial one, each on its own slot; 20 of them spread
        // (uniformly, a minute wide) rather than all firing on the same tick: a constant slot fails here.
        Assert.All(phases, p => Assert.InRange(p, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(90) - Ms));
        Assert.True(phases.Distinct().Count() >= 18, "Phases: " + string.Join(", ", phases));
        Assert.True(phases.Max() - phases.Min() > TimeSpan.FromSeconds(30), "Phases not spread: " + string.Join(", ", phases));
    }

    [Fact]
    public async Task A_frequency_change_applies_from_the_last_start_and_queues_no_full_run()
    {
        var sync = await IdleFakeSyncAsync();
        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromSeconds(20));

        var outcome = await H.UpdateAsync(sync.Id, frequency: "5m");

        Assert.True(outcome.Changed);
        Assert.Null(outcome.QueuedFullRun);
        var updated = await H.SnapshotAsync(sync.Id);
        Assert.Empty(updated.OpenRuns);
        Assert.Equal(EngineHarness.Start + TimeSpan.FromMinutes(5), updated.Sync.NextRunAt);

        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(30)); // past the old plan, whatever the slot
        Assert.Equal(0, await H.RunDueAsync());
        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromMinutes(5) - Ms);
        Assert.Equal(0, await H.RunDueAsync());
        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromMinutes(5));
        Assert.Equal(1, await H.RunDueAsync());

        var runs = await H.RunsAsync(sync.Id);
        Assert.Equal([RunType.Initial, RunType.Incremental], runs.Select(r => r.Type));
        Assert.DoesNotContain(runs, r => r.Type == RunType.Full);
        // Then on its slot of the 5-minute grid, at least 2.5 minutes on.
        var next = (await H.SyncAsync(sync.Id)).NextRunAt!.Value;
        Assert.InRange(next, EngineHarness.Start + TimeSpan.FromMinutes(7.5), EngineHarness.Start + TimeSpan.FromMinutes(12.5) - Ms);
        AssertOnItsSlot(sync, TimeSpan.FromMinutes(5), next);
    }

    [Fact]
    public async Task An_overrunning_run_skips_the_missed_ticks_and_is_followed_by_one_run_not_a_pile_up()
    {
        var sync = await IdleFakeSyncAsync();
        H.AdvanceTo(sync.NextRunAt!.Value);
        var gate = new Gate();
        H.Fake.ThenBlock(gate);
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();
        var overrunStart = H.Now;

        // 3.5 minutes of one-minute ticks pass while the run works: every dispatch round starts nothing.
        await H.AdvanceWhileWorkingAsync(21, async () => Assert.Equal(0, await H.Engine.DispatchOnceAsync()));
        Assert.Equal(overrunStart + TimeSpan.FromSeconds(210), H.Now);
        Assert.Single((await H.SnapshotAsync(sync.Id)).OpenRuns);

        gate.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);
        Assert.Equal(H.Now, (await H.SyncAsync(sync.Id)).NextRunAt); // overdue: due now, once

        Assert.Equal(1, await H.RunDueAsync());
        Assert.Equal(0, await H.RunDueAsync());

        // The two scheduled runs changed nothing: one history entry stands for both (RunHistory).
        var runs = await H.RunsAsync(sync.Id);
        Assert.Equal([RunType.Initial, RunType.Incremental], runs.Select(r => r.Type));
        Assert.Equal([1, 2], runs.Select(r => r.RunCount));
        Assert.All(runs, r => Assert.Equal(RunState.Succeeded, r.State));
        var next = (await H.SyncAsync(sync.Id)).NextRunAt!.Value;
        Assert.InRange(next, H.Now + TimeSpan.FromSeconds(30), H.Now + TimeSpan.FromSeconds(90) - Ms);
        AssertOnItsSlot(sync, TimeSpan.FromMinutes(1), next);
    }

    /// <summary>
    /// <paramref name="at"/> is one of the Sync's slots (ScheduleGrid, tested in the domain): every run on the grid falls
    /// at the same offset into the interval, so a run planned with its lag or off the grid fails here.
    /// </summary>
    private static void AssertOnItsSlot(Sync sync, TimeSpan interval, DateTimeOffset at) =>
        Assert.Equal(ScheduleGrid.SlotMs(sync.Id, interval), at.ToUnixTimeMilliseconds() % (long)interval.TotalMilliseconds);

    [Fact]
    public async Task A_periodic_full_run_after_24_hours_turns_files_deleted_at_the_source_into_tombstones()
    {
        var alice = await H.AddFilesystemAccountAsync("alice", ("keep.txt", "keep"), ("gone.txt", "gone"));
        var sync = await H.EnableAsync(alice);
        await H.RunDueAsync();
        var goneId = EngineHarness.RecordId(sync.Id, "gone.txt");
        File.Delete(Path.Combine(H.AccountRoot("alice"), "gone.txt"));

        // Incremental runs cannot see deletions.
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        Assert.Equal(1, await H.RunDueAsync());
        Assert.Contains(await H.LiveRecordsAsync(sync.Id), r => r.Id == goneId);

        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromHours(24));
        Assert.Equal(1, await H.RunDueAsync());

        var last = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal(RunType.Full, last.Type);
        Assert.Equal(RunTrigger.Periodic, last.Trigger);
        Assert.Equal(RunState.Succeeded, last.State);
        var records = await H.RecordsAsync(sync.Id);
        Assert.True(records.Single(r => r.Id == goneId).Deleted);
        Assert.False(records.Single(r => r.ExternalId == "keep.txt").Deleted);
        Assert.Equal(H.Now, (await H.SyncAsync(sync.Id)).LastFullSyncAt);
    }
}
