using GrpcSync.Connectors;
using GrpcSync.Domain;
using GrpcSync.Engine.Budgets;
using GrpcSync.Engine.Configuration;
using GrpcSync.Engine.Tests.Infrastructure;
using GrpcSync.Storage;

namespace GrpcSync.Engine.Tests;

/// <summary>
/// Budgets shared per credential, through the real engine and store: a source's throttle holds every Sync on the
/// credential, and at most MaxRunsPerCredential runs of one credential are RUNNING at once.
/// </summary>
public abstract class CredentialBudgetTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : CredentialBudgetTests(TestStore.Sqlite);

    public sealed class OnPostgres() : CredentialBudgetTests(TestStore.Postgres);

    private async Task<(Credential Credential, List<Sync> Syncs)> IdleSyncsOnOneCredentialAsync(int count)
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var syncs = new List<Sync>();
        for (var i = 0; i < count; i++)
        {
            syncs.Add(await H.EnableAsync(credential, frequency: "1h", configurationName: $"shared-{i}"));
        }
        Assert.Equal(count, await H.RunDueAsync()); // the INITIAL runs
        return (credential, syncs);
    }

    private Task TriggerAsync(Guid syncId)
    {
        var now = H.Now;
        return H.MutateAsync(syncId, s => RunRules.Trigger(s, RunType.Incremental, now));
    }

    [Fact]
    public async Task A_throttled_credential_holds_every_sync_on_it_none_spends_an_attempt_or_a_retry_and_all_resume()
    {
        var (_, syncs) = await IdleSyncsOnOneCredentialAsync(3);
        var (first, others) = (syncs[0], syncs[1..]);
        H.Fake.ThenThrow(new RateLimitedSourceException(TimeSpan.FromSeconds(30), "503 SlowDown"));
        await TriggerAsync(first.Id);

        Assert.Equal(1, await H.RunDueAsync()); // the first one hits the throttle
        var holdEnd = H.Now.AddSeconds(30);
        H.AdvanceTo(H.Now.AddSeconds(5));
        foreach (var other in others)
        {
            await TriggerAsync(other.Id);
        }
        var callsBefore = H.Fake.Calls.Count;
        Assert.Equal(0, await H.RunDueAsync()); // the others wait too, without calling the source

        Assert.Equal(callsBefore, H.Fake.Calls.Count);
        foreach (var sync in syncs)
        {
            var state = await H.SnapshotAsync(sync.Id);
            Assert.Equal(SyncStatus.RateLimited, state.Sync.Status);
            Assert.Equal(holdEnd, state.Sync.RateLimitedUntil);
            var run = Assert.Single(state.OpenRuns);
            Assert.Equal(RunState.Queued, run.State);
            Assert.Equal(holdEnd, run.DueAt);
            Assert.Equal(RunHold.CredentialRateLimited, run.Hold);
            Assert.Equal(0, run.Retries);
            Assert.Equal(sync.Id == first.Id ? 1 : 0, run.Attempt); // the held runs were never claimed
        }
        Assert.Equal(25_000, (await H.SyncAsync(others[0].Id)).RateLimitBackoffMs);
        var events = (await ((IEventStore)H.Store).ListSyncEventsAsync(EngineHarness.Scope, others[0].Id, 0, 1000))!.Events;
        Assert.Contains(events, e => e.Type == EventTypes.SyncRateLimited && e.DataJson.Contains("503 SlowDown", StringComparison.Ordinal));

        H.AdvanceTo(holdEnd.AddMilliseconds(-1));
        Assert.Equal(0, await H.RunDueAsync());
        H.AdvanceTo(holdEnd);
        Assert.Equal(3, await H.RunDueAsync()); // all resume at the hold's end

        foreach (var sync in syncs)
        {
            var state = await H.SnapshotAsync(sync.Id);
            Assert.Equal(SyncStatus.Idle, state.Sync.Status);
            Assert.Empty(state.OpenRuns);
            var last = Assert.Single(await H.RunsAsync(sync.Id), r => r.Trigger == RunTrigger.Manual);
            Assert.Equal(RunState.Succeeded, last.State);
            Assert.Equal(0, last.Retries);
            Assert.Equal(sync.Id == first.Id ? 2 : 1, last.Attempt);
            Assert.Null(last.Hold);
        }
    }

    [Fact]
    public async Task A_throttle_on_one_credential_does_not_hold_syncs_on_another()
    {
        var (_, syncs) = await IdleSyncsOnOneCredentialAsync(1);
        var elsewhere = await H.EnableAsync(await H.AddFakeCredentialAsync("other-secret"), frequency: "1h");
        Assert.Equal(1, await H.RunDueAsync());
        H.Fake.ThenThrow(new RateLimitedSourceException(TimeSpan.FromSeconds(30), "429"));
        await TriggerAsync(syncs[0].Id);
        Assert.Equal(1, await H.RunDueAsync());

        await TriggerAsync(elsewhere.Id);

        Assert.Equal(1, await H.RunDueAsync());
        Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(elsewhere.Id)).Status);
    }

    [Fact]
    public async Task At_most_max_runs_per_credential_run_at_once_the_others_wait_queued_with_the_reason_and_all_finish()
    {
        H.Budgets[FakeConnector.Name] = new ConnectorBudgetOptions { MaxRunsPerCredential = 2 };
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var syncs = new List<Sync>();
        for (var i = 0; i < 4; i++)
        {
            syncs.Add(await H.EnableAsync(credential, configurationName: $"capped-{i}"));
        }
        var gates = Enumerable.Range(0, 4).Select(_ => new Gate()).ToList();
        foreach (var gate in gates)
        {
            H.Fake.ThenBlock(gate); // the calls take the gates in the order they come
        }

        Assert.Equal(2, await H.Engine.DispatchOnceAsync());
        await gates[0].WaitEnteredAsync();
        await gates[1].WaitEnteredAsync();
        await AssertRunningAndWaitingAsync(syncs, running: 2, waiting: 2);
        Assert.Equal(0, await H.Engine.DispatchOnceAsync()); // full: nothing more starts
        Assert.False(gates[2].WasEntered);

        for (var next = 0; next < 4; next++)
        {
            gates[next].Release();
            var finished = next + 1;
            await EngineHarness.EventuallyAsync(async () => await CountAsync(syncs, RunState.Succeeded) == finished,
                what: $"{finished} runs to finish");
            await EngineHarness.EventuallyAsync(async () =>
            {
                await H.Engine.DispatchOnceAsync();
                return await CountRunningAsync(syncs) == Math.Min(2, 4 - finished);
            }, what: "the next waiting run to start");
            Assert.True(await CountRunningAsync(syncs) <= 2);
        }
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        Assert.Equal(4, await CountAsync(syncs, RunState.Succeeded));
        foreach (var sync in syncs)
        {
            Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
            Assert.Equal(1, (await H.RunsAsync(sync.Id))[^1].Attempt);
        }
    }

    [Fact]
    public async Task The_engine_hands_connectors_the_credentials_request_gate_shared_by_its_runs()
    {
        H.Budgets[FakeConnector.Name] = new ConnectorBudgetOptions { MaxRunsPerCredential = 2, RequestsPerSecondPerCredential = 5 };
        var credential = await H.AddFakeCredentialAsync();
        var a = await H.EnableAsync(credential, configurationName: "a");
        Assert.Equal(1, await H.RunDueAsync());
        var first = H.Fake.LastRequestGate;
        var b = await H.EnableAsync(credential, configurationName: "b");
        Assert.Equal(1, await H.RunDueAsync());

        Assert.IsType<TokenBucket>(first);
        Assert.Same(first, H.Fake.LastRequestGate);
        Assert.NotEqual(a.Id, b.Id);
    }

    [Fact]
    public async Task Without_a_steady_budget_connectors_get_the_unlimited_gate()
    {
        var credential = await H.AddFakeCredentialAsync();
        await H.EnableAsync(credential);

        Assert.Equal(1, await H.RunDueAsync());

        Assert.Same(RequestGate.Unlimited, H.Fake.LastRequestGate);
    }

    private async Task AssertRunningAndWaitingAsync(IEnumerable<Sync> syncs, int running, int waiting)
    {
        var runs = new List<SyncRun>();
        foreach (var sync in syncs)
        {
            runs.AddRange((await H.SnapshotAsync(sync.Id)).OpenRuns);
        }
        Assert.Equal(running, runs.Count(r => r.State == RunState.Running));
        var queued = runs.Where(r => r.State == RunState.Queued).ToList();
        Assert.Equal(waiting, queued.Count);
        Assert.All(queued, r => Assert.Equal(RunHold.CredentialBusy, r.Hold));
        Assert.All(queued, r => Assert.Equal(0, r.Attempt));
    }

    private async Task<int> CountRunningAsync(IEnumerable<Sync> syncs)
    {
        var count = 0;
        foreach (var sync in syncs)
        {
            count += (await H.SnapshotAsync(sync.Id)).OpenRuns.Count(r => r.State == RunState.Running);
        }
        return count;
    }

    private async Task<int> CountAsync(IEnumerable<Sync> syncs, RunState state)
    {
        var count = 0;
        foreach (var sync in syncs)
        {
            count += (await H.RunsAsync(sync.Id)).Count(r => r.State == state);
        }
        return count;
    }
}
