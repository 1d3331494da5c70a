using GrpcSync.Domain;
using GrpcSync.Engine.Tests.Infrastructure;
using GrpcSync.Storage;

namespace GrpcSync.Engine.Tests;

public abstract class LeaseTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : LeaseTests(TestStore.Sqlite);

    public sealed class OnPostgres() : LeaseTests(TestStore.Postgres);

    [Fact]
    public async Task A_crashed_workers_run_is_reclaimed_after_its_lease_with_attempt_2_and_the_first_attempts_writes_are_fenced()
    {
        IEngineStore store = H.RawEngineStore;
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);

        // Another worker claims the run, stores one page, and dies without finishing.
        var claimedAt = H.Now;
        var claimed = await store.DispatchAsync(claimedAt, 10, s => RunRules.Dispatch(s, claimedAt, "crashed-worker", H.Policy));
        var (_, first) = Assert.Single(claimed);
        Assert.Equal((1, "crashed-worker"), (first.Attempt, first.LeaseOwner));
        var early = await store.WriteRecordPageAsync(new RecordPage(sync.Id, first.Id, 1,
            [Upsert(sync.Id, "a")], false, "early-cursor", claimedAt));
        Assert.False(early.Fenced);

        // While its lease lasts, nobody else may take the run.
        H.AdvanceTo(claimedAt + H.Options.Lease - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await H.RunDueAsync());

        var gate = new Gate();
        H.Fake.ThenBlock(gate);
        H.AdvanceTo(claimedAt + H.Options.Lease);
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();

        var reclaimed = Assert.Single((await H.SnapshotAsync(sync.Id)).OpenRuns);
        Assert.Equal(first.Id, reclaimed.Id);
        Assert.Equal((RunState.Running, 2, "test-worker"), (reclaimed.State, reclaimed.Attempt, reclaimed.LeaseOwner));
        Assert.Equal(RunType.Initial, reclaimed.Type);

        // The first attempt, should it wake up, can no longer write anything.
        var late = await store.WriteRecordPageAsync(new RecordPage(sync.Id, first.Id, 1,
            [Upsert(sync.Id, "zombie")], false, "zombie-cursor", H.Now));
        Assert.True(late.Fenced);
        Assert.False(await store.RenewLeaseAsync(first.SyncId, first.Id, 1, H.Now + H.Options.Lease));
        var now = H.Now;
        var lateFinish = await store.MutateSyncAsync(sync.Id,
            s => RunRules.Finish(s, first.Id, 1, new RunOutcome.Succeeded("zombie-cursor"), now, H.Policy));
        Assert.True(lateFinish!.Result.Fenced);

        gate.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        var done = Assert.Single(await H.RunsAsync(sync.Id));
        Assert.Equal((RunState.Succeeded, 2), (done.State, done.Attempt));
        // The crashed attempt's page counts (same record id, now with the source's data); its late write does not.
        var record = Assert.Single(await H.RecordsAsync(sync.Id));
        Assert.Equal((EngineHarness.RecordId(sync.Id, "a"), false), (record.Id, record.Deleted));
        Assert.Contains("\"A\"", record.DataJson, StringComparison.Ordinal);
        var state = await H.SyncAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, state.Status);
        Assert.Equal("1", state.SourceCursor);
    }

    [Fact]
    public async Task A_reclaimed_full_enumeration_tombstones_records_only_the_crashed_attempt_saw()
    {
        IEngineStore store = H.RawEngineStore;
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);

        // Attempt 1 stores "a" and "gone", then dies; meanwhile "gone" disappears from the source.
        var claimedAt = H.Now;
        var (_, first) = Assert.Single(await store.DispatchAsync(claimedAt, 10, s => RunRules.Dispatch(s, claimedAt, "crashed-worker", H.Policy)));
        Assert.False((await store.WriteRecordPageAsync(new RecordPage(sync.Id, first.Id, 1,
            [Upsert(sync.Id, "a"), Upsert(sync.Id, "gone")], false, null, claimedAt))).Fenced);

        // Attempt 2 (same run id) enumerates only "a": its reconcile must not count attempt 1's sighting of "gone".
        H.AdvanceTo(claimedAt + H.Options.Lease);
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        var done = Assert.Single(await H.RunsAsync(sync.Id));
        Assert.Equal((RunState.Succeeded, 2), (done.State, done.Attempt));
        var records = (await H.RecordsAsync(sync.Id)).ToDictionary(r => r.ExternalId);
        Assert.False(records["a"].Deleted);
        Assert.True(records["gone"].Deleted);
    }

    [Fact]
    public async Task A_worker_keeps_its_lease_alive_while_it_works_so_a_long_run_is_never_reclaimed()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        var gate = new Gate();
        H.Fake.ThenBlock(gate);
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();

        await H.AdvanceWhileWorkingAsync(12); // two minutes, four leases long
        var running = Assert.Single((await H.SnapshotAsync(sync.Id)).OpenRuns);
        Assert.Equal(1, running.Attempt);
        Assert.Equal(H.Now + H.Options.Lease, running.LeaseExpiresAt);
        Assert.Equal(0, await H.Engine.DispatchOnceAsync());

        gate.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);
        var done = Assert.Single(await H.RunsAsync(sync.Id));
        Assert.Equal((RunState.Succeeded, 1), (done.State, done.Attempt));
    }

    [Fact]
    public async Task The_engine_never_works_on_more_runs_than_MaxConcurrentRuns()
    {
        H.Options.MaxConcurrentRuns = 2;
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var gates = new[] { new Gate(), new Gate(), new Gate() };
        var syncs = new List<Sync>();
        foreach (var (gate, name) in gates.Zip(["one", "two", "three"]))
        {
            H.Fake.ThenBlock(gate);
            syncs.Add(await H.EnableAsync(credential, configurationName: name));
        }

        Assert.Equal(2, await H.Engine.DispatchOnceAsync());
        await gates[0].WaitEnteredAsync();
        await gates[1].WaitEnteredAsync();
        Assert.Equal(2, H.Engine.InFlightCount);
        Assert.Equal(0, await H.Engine.DispatchOnceAsync());
        Assert.False(gates[2].WasEntered);

        gates[0].Release();
        await EngineHarness.EventuallyAsync(() => Task.FromResult(H.Engine.InFlightCount == 1), what: "a free slot");
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gates[2].WaitEnteredAsync();

        gates[1].Release();
        gates[2].Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);
        foreach (var sync in syncs)
        {
            Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
        }
    }

    private static RecordUpsert Upsert(Guid syncId, string externalId) =>
        new(NameBasedGuid.ForRecord(syncId, externalId), externalId, $$"""{"name":"{{externalId}}"}""", "f-" + externalId);
}
