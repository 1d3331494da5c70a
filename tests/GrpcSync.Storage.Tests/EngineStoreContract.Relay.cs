using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>The relay: global positions in commit order, project listings by position, and the in-process signals.</summary>
public abstract partial class EngineStoreContract
{
    /// <summary>Disables and re-enables a Sync <paramref name="times"/> times: two events each.</summary>
    private async Task FlipAsync(Scope scope, Guid syncId, int times, DateTimeOffset at)
    {
        for (var i = 0; i < times; i++)
        {
            await Store.MutateSyncAsync(scope, syncId, s => SyncRules.Disable(s, at.AddSeconds(2 * i)));
            await Store.MutateSyncAsync(scope, syncId, s => SyncRules.Reenable(s, at.AddSeconds(2 * i + 1)));
        }
    }

    private async Task<List<int>> PlaceUntilNoneAsync(int max)
    {
        var batches = new List<int>();
        int placed;
        do
        {
            placed = await Events.PlaceEventsAsync(max);
            batches.Add(placed);
        }
        while (placed > 0);
        return batches;
    }

    [Fact]
    public async Task PlaceEvents_NumbersEachEventOnce_InBatchesOfAtMostMax_AndProjectListingsReadByPosition()
    {
        var (mine, _) = await InsertSyncAsync(Alice, "mine");
        var (theirs, _) = await InsertSyncAsync(AliceInOtherProject, "theirs");
        await FlipAsync(Alice, mine.Id, 2, T0.AddSeconds(1));
        await FlipAsync(AliceInOtherProject, theirs.Id, 1, T0.AddSeconds(2));
        Assert.Empty(await Events.ListProjectEventsAsync(Alice.ProjectId, 0, 100)); // nothing placed yet

        Assert.Equal([2, 2, 2, 0], await PlaceUntilNoneAsync(2));

        var all = (await Events.ListProjectEventsAsync(Alice.ProjectId, 0, 100))
            .Concat(await Events.ListProjectEventsAsync(AliceInOtherProject.ProjectId, 0, 100)).ToList();
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], all.Select(e => e.Position!.Value).Order());
        var project = await Events.ListProjectEventsAsync(Alice.ProjectId, 0, 100);
        Assert.Equal(4, project.Count);
        Assert.All(project, e => Assert.Equal((mine.Id, Alice.ProjectId), (e.SyncId, e.ProjectId)));
        Assert.Equal(project.Select(e => e.Position).Order(), project.Select(e => e.Position)); // by position
        Assert.Equal([1L, 2L, 3L, 4L], project.Select(e => e.Sequence)); // oldest first, so one Sync's order is kept
        var afterSecond = await Events.ListProjectEventsAsync(Alice.ProjectId, project[1].Position!.Value, 100);
        Assert.Equal(project.Skip(2).Select(e => e.Id), afterSecond.Select(e => e.Id));
        Assert.Equal(project.Take(1).Select(e => e.Id), (await Events.ListProjectEventsAsync(Alice.ProjectId, 0, 1)).Select(e => e.Id));
    }

    [Fact]
    public async Task EventsCommittedAfterAPlacement_AreListedAfterEverythingPlacedBefore()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        await FlipAsync(Alice, sync.Id, 1, T0.AddSeconds(1));
        await PlaceUntilNoneAsync(100);
        var seen = (await Events.ListProjectEventsAsync(Alice.ProjectId, 0, 100)).Max(e => e.Position!.Value);

        // An event stamped earlier than the placed ones but committed later still comes after them.
        await Store.MutateSyncAsync(Alice, sync.Id, s => SyncRules.Disable(s, T0));
        Assert.Empty(await Events.ListProjectEventsAsync(Alice.ProjectId, seen, 100)); // not placed yet: not listed
        Assert.Equal(1, await Events.PlaceEventsAsync(100));

        var next = Assert.Single(await Events.ListProjectEventsAsync(Alice.ProjectId, seen, 100));
        Assert.Equal((EventTypes.SyncDisabled, seen + 1), (next.Type, next.Position));
    }

    [Fact]
    public async Task ConcurrentRelays_OnSeveralStoreInstances_GiveEveryEventExactlyOnePosition_WithoutGaps()
    {
        var syncs = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            syncs.Add((await InsertSyncAsync(Alice, "s" + i)).Sync.Id);
        }
        var relays = Enumerable.Range(0, 3).Select(_ => (IEventStore)Database.OpenStore()).ToArray();
        using var writing = new CancellationTokenSource();
        var writers = syncs.Select(id => FlipAsync(Alice, id, 10, T0.AddSeconds(1))).ToArray();
        var relayLoops = relays.Select(relay => Task.Run(async () =>
        {
            while (!writing.IsCancellationRequested)
            {
                await relay.PlaceEventsAsync(7);
            }
        })).ToArray();

        await Task.WhenAll(writers);
        await writing.CancelAsync();
        await Task.WhenAll(relayLoops);
        await PlaceUntilNoneAsync(7);

        var placed = await Events.ListProjectEventsAsync(Alice.ProjectId, 0, 1000);
        Assert.Equal(80, placed.Count);
        Assert.Equal(Enumerable.Range(1, 80).Select(p => (long)p), placed.Select(e => e.Position!.Value));
        Assert.Equal([80L], await Database.QueryLongsAsync("SELECT last_position FROM event_relay"));
        foreach (var id in syncs) // each Sync's events keep their order in the global one
        {
            var sequences = placed.Where(e => e.SyncId == id).Select(e => e.Sequence).ToList();
            Assert.Equal(Enumerable.Range(1, 20).Select(s => (long)s), sequences);
        }
    }

    [Fact]
    public async Task Signals_PulseAfterCommitsThatAppendEvents_AndAfterPlacements_NotForFailedOrEventlessWrites()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var appended = Events.Signals.Appended.Version;
        var placed = Events.Signals.Placed.Version;

        await Assert.ThrowsAsync<DomainException>(() => Store.MutateSyncAsync<Sync>(Alice, sync.Id, s =>
            throw new DomainException(ErrorKind.FailedPrecondition, "NOPE", "refused")));
        await Store.InsertCredentialAsync(NewCredential(Alice, T0)); // writes, but logs no event
        Assert.Equal(appended, Events.Signals.Appended.Version);
        Assert.Equal(0, await Events.PlaceEventsAsync(10));
        Assert.Equal(placed, Events.Signals.Placed.Version);

        await Store.MutateSyncAsync(Alice, sync.Id, s => SyncRules.Disable(s, T0.AddSeconds(1)));
        Assert.Equal(appended + 1, Events.Signals.Appended.Version);
        Assert.Equal(1, await Events.PlaceEventsAsync(10));
        Assert.Equal(placed + 1, Events.Signals.Placed.Version);
    }
}
