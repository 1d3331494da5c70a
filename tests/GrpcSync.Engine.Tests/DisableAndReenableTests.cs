using System.Runtime.CompilerServices;
using GrpcSync.Domain;
using GrpcSync.Connectors;
using GrpcSync.Engine.Tests.Infrastructure;

namespace GrpcSync.Engine.Tests;

public abstract class DisableAndReenableTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : DisableAndReenableTests(TestStore.Sqlite);

    public sealed class OnPostgres() : DisableAndReenableTests(TestStore.Postgres);

    [Fact]
    public async Task Disabling_a_sync_cancels_its_running_run_at_the_next_lease_renewal_and_keeps_its_records()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        await H.RunDueAsync();
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        var gate = new Gate();
        H.Fake.ThenBlock(gate);
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();

        await H.DisableAsync(sync.Id);
        Assert.False(gate.SawCancellation); // the worker learns of it at its next renewal
        H.Time.Advance(H.Options.Lease / 3);
        Assert.False(await H.EngineStore.NextRenewalAsync());
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        Assert.True(gate.SawCancellation);
        var run = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal(RunType.Incremental, run.Type);
        Assert.Equal(RunState.Cancelled, run.State);
        var state = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Disabled, state.Sync.Status);
        Assert.Empty(state.OpenRuns);
        Assert.Equal(["a"], (await H.LiveRecordsAsync(sync.Id)).Select(r => r.ExternalId));

        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromHours(25));
        Assert.Equal(0, await H.RunDueAsync()); // disabled: nothing scheduled, not even the periodic FULL
    }

    [Fact]
    public async Task Page_writes_of_a_run_cancelled_by_disable_are_fenced_and_the_worker_stops_without_finishing()
    {
        var (sync, gate) = await StartIncrementalThatPausesAfterOnePageAsync();

        await H.DisableAsync(sync.Id);
        var disabledAt = H.Now;
        gate.Release(); // the source goes on before any renewal: the next page write meets the fence
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        var writes = H.EngineStore.PageWrites;
        Assert.False(writes[^2].Result.Fenced);
        Assert.Equal("b", Assert.Single(writes[^2].Page.Upserts).ExternalId);
        Assert.True(writes[^1].Result.Fenced);
        Assert.Equal("c", Assert.Single(writes[^1].Page.Upserts).ExternalId);

        Assert.Equal(["a", "b"], (await H.LiveRecordsAsync(sync.Id)).Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        var run = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal(RunState.Cancelled, run.State);
        Assert.Equal(disabledAt, run.FinishedAt);
        var state = await H.SyncAsync(sync.Id);
        Assert.Equal(SyncStatus.Disabled, state.Status);
        Assert.Equal("2", state.SourceCursor); // the last stored page's cursor
    }

    [Fact]
    public async Task Reenabling_continues_from_the_stored_source_cursor_of_the_last_stored_page()
    {
        var (sync, gate) = await StartIncrementalThatPausesAfterOnePageAsync();
        await H.DisableAsync(sync.Id);
        gate.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);
        H.AdvanceTo(H.Now + TimeSpan.FromMinutes(3));

        var reenabled = await H.ReenableAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, reenabled.Status);
        Assert.Equal(1, await H.RunDueAsync());

        var call = H.Fake.Calls[^1];
        Assert.Equal(FakeCallKind.ChangesSince, call.Kind);
        Assert.Equal("2", call.Cursor);
        Assert.Equal(["a", "b", "c"], (await H.LiveRecordsAsync(sync.Id)).Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        var last = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal((RunType.Incremental, RunState.Succeeded), (last.Type, last.State));
        var state = await H.SyncAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, state.Status);
        Assert.Equal("3", state.SourceCursor);
    }

    [Fact]
    public async Task Reenabling_an_idle_disabled_sync_asks_the_source_for_changes_since_its_cursor_not_from_scratch()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        await H.RunDueAsync();
        await H.DisableAsync(sync.Id);
        H.Fake.Put("b", "B");
        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromMinutes(30));
        Assert.Equal(0, await H.RunDueAsync());

        await H.ReenableAsync(sync.Id);
        Assert.Equal(1, await H.RunDueAsync());

        Assert.Equal([FakeCallKind.Enumerate, FakeCallKind.ChangesSince], H.Fake.Calls.Select(c => c.Kind));
        Assert.Equal("1", H.Fake.Calls[^1].Cursor);
        Assert.Equal(2, (await H.LiveRecordsAsync(sync.Id)).Count);
    }

    /// <summary>
    /// An idle Sync (items a; cursor "1") whose incremental run has stored page [b] (cursor "2") and
    /// waits at the returned gate before its next page [c] (cursor "3").
    /// </summary>
    private async Task<(Sync Sync, Gate Gate)> StartIncrementalThatPausesAfterOnePageAsync()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        await H.RunDueAsync();
        H.Fake.Put("b", "B");
        H.Fake.Put("c", "C");
        var gate = new Gate();
        H.Fake.Then((call, ct) => TwoPagesAsync(call, gate, ct));
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();
        Assert.Contains(await H.LiveRecordsAsync(sync.Id), r => r.ExternalId == "b");
        return (sync, gate);

        static async IAsyncEnumerable<SourcePage> TwoPagesAsync(FakeCall call, Gate gate, [EnumeratorCancellation] CancellationToken ct)
        {
            Assert.Equal("1", call.Cursor);
            yield return FakeConnector.Page("2", ("b", "B"));
            await gate.WaitAsync(ct);
            yield return FakeConnector.Page("3", ("c", "C"));
        }
    }
}
