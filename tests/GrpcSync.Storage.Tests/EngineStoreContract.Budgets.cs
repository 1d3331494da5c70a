using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>Budgets shared per credential: the source's hold, and the cap on runs at once per credential.</summary>
public abstract partial class EngineStoreContract
{
    /// <summary>Dispatch with the real rules and a cap of <paramref name="maxRuns"/> runs at once per credential.</summary>
    private Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchCappedAsync(DateTimeOffset now, int maxRuns, int max = 100,
        IEngineStore? store = null, string owner = "worker-1") =>
        (store ?? Engine).DispatchAsync(now, max, _ => maxRuns, (s, budget) => RunRules.Dispatch(s, now, owner, Policy, budget));

    /// <summary><paramref name="count"/> Syncs of Alice bound to one credential, their INITIAL runs due at <see cref="T0"/>.</summary>
    private async Task<(Credential Credential, IReadOnlyList<Sync> Syncs)> SyncsOnOneCredentialAsync(int count)
    {
        var credential = NewCredential(Alice, T0);
        await Store.InsertCredentialAsync(credential);
        var syncs = new List<Sync>();
        for (var i = 0; i < count; i++)
        {
            var (sync, run) = NewSync(Alice, $"shared-{i}", credential.Id, T0);
            syncs.Add((await Store.InsertSyncAsync(sync, run)).Sync);
        }
        return (credential, syncs);
    }

    private async Task<SyncChange<FinishResult>?> FinishRateLimitedAsync(SyncRun run, DateTimeOffset now, TimeSpan retryAfter) =>
        await Engine.MutateSyncAsync(run.SyncId,
            s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.RateLimited(retryAfter, "503 SlowDown"), now, Policy));

    [Fact]
    public async Task Budgets_ARateLimitedFinish_HoldsEverySyncOnTheCredential_UntilTheRetryTime()
    {
        var (_, syncs) = await SyncsOnOneCredentialAsync(3);
        var now = T0.AddSeconds(1);
        var (_, first) = Assert.Single(await DispatchCappedAsync(now, maxRuns: 10, max: 1));
        var holdEnd = now.AddSeconds(60);

        await FinishRateLimitedAsync(first, now, TimeSpan.FromSeconds(60));
        var later = now.AddSeconds(1);
        Assert.Empty(await DispatchCappedAsync(later, maxRuns: 10));

        foreach (var sync in syncs)
        {
            var snapshot = (await Store.GetSyncAsync(Alice, sync.Id))!;
            Assert.Equal(SyncStatus.RateLimited, snapshot.Sync.Status);
            Assert.Equal(holdEnd, snapshot.Sync.RateLimitedUntil);
            var run = Assert.Single(snapshot.OpenRuns);
            Assert.Equal(RunState.Queued, run.State);
            Assert.Equal(RunHold.CredentialRateLimited, run.Hold);
            Assert.Equal(holdEnd, run.DueAt);
            Assert.Equal(0, run.Retries);
            Assert.Equal(sync.Id == first.SyncId ? 1 : 0, run.Attempt); // the held ones were never claimed
        }
        var others = syncs.Where(s => s.Id != first.SyncId).ToList();
        Assert.Equal(59_000, (await Store.GetSyncAsync(Alice, others[0].Id))!.Sync.RateLimitBackoffMs);

        Assert.Empty(await DispatchCappedAsync(holdEnd.AddMilliseconds(-1), maxRuns: 10));
        var resumed = await DispatchCappedAsync(holdEnd, maxRuns: 10);
        Assert.Equal(syncs.Select(s => s.Id).Order(), resumed.Select(r => r.Sync.Id).Order());
        Assert.All(resumed, r => Assert.Null(r.Run.Hold));
        Assert.All(resumed, r => Assert.Equal(SyncStatus.Active, r.Sync.Status));
    }

    [Fact]
    public async Task Budgets_AHeldSyncLogsSyncRateLimited_AndSyncsOfOtherCredentialsAreNotHeld()
    {
        var (_, syncs) = await SyncsOnOneCredentialAsync(2);
        var (stranger, _) = await InsertSyncAsync(Bob);
        var now = T0.AddSeconds(1);
        var firstRound = await DispatchCappedAsync(now, maxRuns: 1);
        var first = Assert.Single(firstRound, r => r.Sync.CredentialId == syncs[0].CredentialId).Run;
        await FinishAsync(Assert.Single(firstRound, r => r.Sync.Id == stranger.Id).Run, now);

        await FinishRateLimitedAsync(first, now, TimeSpan.FromSeconds(30));
        await Engine.MutateSyncAsync(stranger.Id, s => RunRules.Trigger(s, RunType.Incremental, now));
        var started = await DispatchCappedAsync(now.AddSeconds(1), maxRuns: 1);

        Assert.Equal([stranger.Id], started.Select(s => s.Sync.Id));
        var held = syncs.Single(s => s.Id != first.SyncId);
        var events = await ((IEventStore)Store).ListSyncEventsAsync(Alice, held.Id, 0, 100);
        var limited = Assert.Single(events!.Events, e => e.Type == EventTypes.SyncRateLimited);
        Assert.Contains("\"retryAfterMs\":29000", limited.DataJson, StringComparison.Ordinal);
        Assert.Contains("503 SlowDown", limited.DataJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Budgets_ALaterThrottleExtendsTheHold_AnEarlierOneDoesNotShortenIt()
    {
        var (_, syncs) = await SyncsOnOneCredentialAsync(3);
        var now = T0.AddSeconds(1);
        var started = await DispatchCappedAsync(now, maxRuns: 10, max: 2);
        Assert.Equal(2, started.Count);

        await FinishRateLimitedAsync(started[0].Run, now, TimeSpan.FromSeconds(60));
        await FinishRateLimitedAsync(started[1].Run, now, TimeSpan.FromSeconds(10)); // shorter: the 60 s hold stands
        var third = syncs.Single(s => started.All(r => r.Sync.Id != s.Id));
        Assert.Empty(await DispatchCappedAsync(now.AddSeconds(1), maxRuns: 10));

        var run = Assert.Single((await Store.GetSyncAsync(Alice, third.Id))!.OpenRuns);
        Assert.Equal(now.AddSeconds(60), run.DueAt);
        Assert.Equal(RunHold.CredentialRateLimited, run.Hold);
    }

    [Fact]
    public async Task Budgets_TheCapStartsAtMostMaxRunsPerCredential_TheOthersWaitQueuedAndMarked()
    {
        var (_, syncs) = await SyncsOnOneCredentialAsync(4);
        var now = T0.AddSeconds(1);

        var started = await DispatchCappedAsync(now, maxRuns: 2);

        Assert.Equal(2, started.Count);
        var waiting = syncs.Where(s => started.All(r => r.Sync.Id != s.Id)).ToList();
        foreach (var sync in waiting)
        {
            var snapshot = (await Store.GetSyncAsync(Alice, sync.Id))!;
            var run = Assert.Single(snapshot.OpenRuns);
            Assert.Equal(RunState.Queued, run.State);
            Assert.Equal(RunHold.CredentialBusy, run.Hold);
            Assert.Equal(T0, run.DueAt);
            Assert.Equal(0, run.Attempt);
            Assert.Equal(SyncStatus.Initializing, snapshot.Sync.Status);
        }
        // Full: the next rounds leave the credential's Syncs out, the cap holds across rounds.
        Assert.Empty(await DispatchCappedAsync(now.AddSeconds(1), maxRuns: 2));
    }

    [Fact]
    public async Task Budgets_ARunEndingOnAFullCredential_LetsTheNextWaitingSyncStart()
    {
        var (_, syncs) = await SyncsOnOneCredentialAsync(3);
        var now = T0.AddSeconds(1);
        var started = await DispatchCappedAsync(now, maxRuns: 2);
        Assert.Equal(2, started.Count);
        Assert.Empty(await DispatchCappedAsync(now.AddSeconds(1), maxRuns: 2));

        await FinishAsync(started[0].Run, now.AddSeconds(2));
        var next = await DispatchCappedAsync(now.AddSeconds(2), maxRuns: 2);

        var (sync, run) = Assert.Single(next);
        Assert.DoesNotContain(started, r => r.Sync.Id == sync.Id);
        Assert.Null(run.Hold);
        Assert.Equal(1, run.Attempt);
        _ = syncs;
    }

    [Fact]
    public async Task Budgets_AFullMarkEndsWithTheEarliestLease_SoADeadWorkersSlotFreesWithoutAFinish()
    {
        await SyncsOnOneCredentialAsync(3);
        var now = T0.AddSeconds(1);
        var started = await DispatchCappedAsync(now, maxRuns: 2);
        Assert.Equal(2, started.Count);
        Assert.Empty(await DispatchCappedAsync(now.AddSeconds(1), maxRuns: 2));

        // Nobody finished or renewed: at the end of the leases both runs are taken back and the third may start too.
        var afterLease = now + Policy.Lease;
        var next = await DispatchCappedAsync(afterLease, maxRuns: 2);

        Assert.Equal(2, next.Count); // the cap still holds: two of the three (reclaimed or waiting) run
        Assert.All(next, r => Assert.Equal(RunState.Running, r.Run.State));
    }

    [Fact]
    public async Task Budgets_ConcurrentDispatchersOnSeparateInstances_NeverExceedTheCap()
    {
        const int syncs = 12, dispatchers = 4, cap = 3;
        await SyncsOnOneCredentialAsync(syncs);
        var instances = Enumerable.Range(0, dispatchers).Select(_ => Database.OpenStore()).ToArray();
        var now = T0.AddSeconds(1);

        var claims = await RunTogetherAsync(dispatchers, async i =>
        {
            var mine = 0;
            for (var round = 0; round < 5; round++)
            {
                mine += (await DispatchCappedAsync(now, cap, max: 2, store: instances[i], owner: $"worker-{i}")).Count;
            }
            return mine;
        });
        // Rounds that met only locked candidates found nothing (SKIP LOCKED); one more round takes what is left.
        var topUp = (await DispatchCappedAsync(now.AddMilliseconds(1), cap)).Count;

        Assert.InRange(claims.Sum(), 1, cap);
        Assert.Equal(cap, claims.Sum() + topUp);
    }

    [Fact]
    public async Task Budgets_WithoutACap_EveryDueSyncOnACredentialStarts()
    {
        await SyncsOnOneCredentialAsync(5);

        Assert.Equal(5, (await DispatchAsync(T0.AddSeconds(1))).Count);
    }
}
