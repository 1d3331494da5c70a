using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>MutateSync: a decision's change checked and written, under the Sync's lock.</summary>
public abstract partial class SyncStoreContract
{
    // ================= MutateSync =================

    [Fact]
    public async Task MutateSync_WritesTheSyncAndInsertedAndUpdatedRunsTogether()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var now = T0.AddMinutes(3);
        var finished = initial with { State = RunState.Succeeded, StartedAt = T0.AddMinutes(1), FinishedAt = now, Attempt = 2, Error = "warning", DueAt = T0.AddSeconds(30) };
        var added = NewRun(sync.Id, now, RunState.Queued, RunType.Incremental, RunTrigger.Schedule);
        SyncSnapshot? seen = null;

        var change = await Store.MutateSyncAsync(Alice, sync.Id, snapshot =>
        {
            seen = snapshot;
            var next = snapshot.Sync with
            {
                Status = SyncStatus.Active,
                LastRunStartedAt = T0.AddMinutes(1),
                LastSyncedAt = now,
                TotalRecords = 42,
                SyncedRecordsCount = 40,
                Version = snapshot.Sync.Version + 1,
                UpdatedAt = now,
            };
            return new SyncChange<string>(next, [added], [finished], "done");
        });

        Assert.NotNull(seen);
        Assert.Equal(sync, seen.Sync);
        Assert.Equal([initial], seen.OpenRuns);
        Assert.NotNull(change);
        Assert.Equal("done", change.Result);
        var after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.NotNull(after);
        Assert.Equal(change.NewSync, after.Sync);
        Assert.Equal(2, after.Sync.Version);
        Assert.Equal([added], after.OpenRuns);
        Assert.Equal([added, finished], await AllRunsAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task MutateSync_UpdatedRun_KeepsItsTypeTriggerAndCreationTime()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var update = initial with
        {
            Type = RunType.Full, Trigger = RunTrigger.Manual, CreatedAt = T0.AddDays(1), State = RunState.Running,
            StartedAt = T0.AddSeconds(5), Attempt = 1,
        };

        await Store.MutateSyncAsync(Alice, sync.Id, _ => new SyncChange<bool>(null, [], [update], true));

        var stored = Assert.Single(await AllRunsAsync(Alice, sync.Id));
        Assert.Equal(initial with { State = RunState.Running, StartedAt = T0.AddSeconds(5), Attempt = 1 }, stored);
    }

    [Fact]
    public async Task MutateSync_NothingToChange_WritesNothingAndReturnsTheResult()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);

        var change = await Store.MutateSyncAsync(Alice, sync.Id, _ => SyncChange<int>.Nothing(7));

        Assert.NotNull(change);
        Assert.Equal(7, change.Result);
        Assert.Null(change.NewSync);
        var after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.Equal(sync, after?.Sync);
        Assert.Equal([initial], await AllRunsAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task MutateSync_WithDomainRules_DisablesAndCancelsOpenRuns()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var now = T0.AddMinutes(1);

        var change = await Store.MutateSyncAsync(Alice, sync.Id, s => SyncRules.Disable(s, now));

        Assert.NotNull(change);
        var after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.NotNull(after);
        Assert.Equal(SyncStatus.Disabled, after.Sync.Status);
        Assert.Null(after.Sync.NextRunAt);
        Assert.Empty(after.OpenRuns);
        var cancelled = Assert.Single(await AllRunsAsync(Alice, sync.Id));
        Assert.Equal(initial with { State = RunState.Cancelled, FinishedAt = now, Error = "Cancelled: the Sync was disabled." }, cancelled);
    }

    [Fact]
    public async Task MutateSync_DecideThrows_WritesNothingAndRethrowsTheSameException()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var thrown = new DomainException(ErrorKind.Aborted, "ETAG_MISMATCH", "stale etag");

        var caught = await Assert.ThrowsAsync<DomainException>(() =>
            Store.MutateSyncAsync<bool>(Alice, sync.Id, _ => throw thrown));

        Assert.Same(thrown, caught);
        var after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.Equal(sync, after?.Sync);
        Assert.Equal([initial], await AllRunsAsync(Alice, sync.Id));
        // The lock was released: the next mutation goes through.
        Assert.NotNull(await Store.MutateSyncAsync(Alice, sync.Id, s => Bump(s, T0.AddMinutes(1))));
    }

    [Fact]
    public async Task MutateSync_WriteFailsHalfway_WritesNothing()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var added = NewRun(sync.Id, T0.AddMinutes(1), RunState.Queued);
        var unknown = NewRun(sync.Id, T0, RunState.Cancelled); // never inserted

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.MutateSyncAsync(Alice, sync.Id, s =>
            new SyncChange<bool>(s.Sync with { Version = s.Sync.Version + 1, Status = SyncStatus.Active }, [added],
                [initial with { State = RunState.Running }, unknown], true)));

        var after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.Equal(sync, after?.Sync);
        Assert.Equal([initial], await AllRunsAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task MutateSync_ChangeThatBreaksTheRules_IsRejectedAndWritesNothing()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var (other, _) = await InsertNewSyncAsync(Alice, "other");
        var bad = new Func<SyncSnapshot, SyncChange<bool>>[]
        {
            s => new(s.Sync with { Version = s.Sync.Version }, [], [], true),              // version not bumped
            s => new(s.Sync with { Version = s.Sync.Version + 2 }, [], [], true),          // version skipped
            s => new(s.Sync with { Version = s.Sync.Version + 1, UserId = "bob" }, [], [], true), // scope changed
            s => new(s.Sync with { Version = s.Sync.Version + 1, Id = other.Id }, [], [], true),  // id changed
            s => new(null, [NewRun(other.Id, T0, RunState.Queued)], [], true),             // run of another Sync
            s => new(null, [], [initial with { SyncId = other.Id }], true),                // update of another Sync's run
        };

        foreach (var decide in bad)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => Store.MutateSyncAsync(Alice, sync.Id, decide));
        }

        Assert.Equal(sync, (await Store.GetSyncAsync(Alice, sync.Id))?.Sync);
        Assert.Equal(other, (await Store.GetSyncAsync(Alice, other.Id))?.Sync);
        Assert.Equal([initial], await AllRunsAsync(Alice, sync.Id));
        Assert.Single(await AllRunsAsync(Alice, other.Id));
    }

    [Fact]
    public async Task MutateSync_UnknownSync_ReturnsNullWithoutCallingDecide()
    {
        var called = false;

        var change = await Store.MutateSyncAsync(Alice, Guid.NewGuid(), s =>
        {
            called = true;
            return SyncChange<bool>.Nothing(true);
        });

        Assert.Null(change);
        Assert.False(called);
    }

    [Fact]
    public async Task MutateSync_SyncOfAnotherScope_ReturnsNullWithoutCallingDecide()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var called = 0;

        foreach (var scope in new[] { Bob, AliceInOtherProject })
        {
            var change = await Store.MutateSyncAsync(scope, sync.Id, s =>
            {
                called++;
                return Bump(s, T0.AddMinutes(1));
            });
            Assert.Null(change);
        }

        Assert.Equal(0, called);
        Assert.Equal(sync, (await Store.GetSyncAsync(Alice, sync.Id))?.Sync);
        Assert.Equal([initial], await AllRunsAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task MutateSync_ConcurrentMutations_LoseNoUpdate()
    {
        const int writers = 50;
        var (sync, _) = await InsertNewSyncAsync(Alice);
        var calls = 0;

        var changes = await RunTogetherAsync(writers, i =>
            Store.MutateSyncAsync(Alice, sync.Id, s =>
            {
                Interlocked.Increment(ref calls);
                Thread.Sleep(1); // widen the read-modify-write window, so writers really overlap
                var next = s.Sync with
                {
                    Version = s.Sync.Version + 1,
                    TotalRecords = s.Sync.TotalRecords + 1,
                    UpdatedAt = T0.AddSeconds(1),
                };
                var run = NewRun(sync.Id, T0.AddMilliseconds(1 + i), RunState.Queued, RunType.Incremental, RunTrigger.Manual);
                // Each writer saw every run the writers before it added.
                return new SyncChange<(long Version, int OpenRuns)>(next, [run], [], (next.Version, s.OpenRuns.Count));
            }));

        Assert.Equal(writers, calls);
        var after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.NotNull(after);
        Assert.Equal(1 + writers, after.Sync.Version);
        Assert.Equal(writers, after.Sync.TotalRecords);
        Assert.Equal(1 + writers, after.OpenRuns.Count);
        Assert.Equal(1 + writers, (await AllRunsAsync(Alice, sync.Id)).Count);
        var results = changes.Select(c => Assert.IsType<SyncChange<(long Version, int OpenRuns)>>(c).Result).ToArray();
        Assert.Equal(Enumerable.Range(2, writers).Select(v => (long)v), results.Select(r => r.Version).Order());
        Assert.All(results, r => Assert.Equal(r.Version - 1, r.OpenRuns));
    }

    [Fact]
    public async Task MutateSync_ConcurrentMutationsThroughSeveralStores_LoseNoUpdate()
    {
        // Several store instances on one database stand for several processes or replicas.
        const int stores = 5, writersPerStore = 8;
        var (sync, _) = await InsertNewSyncAsync(Alice);
        var instances = Enumerable.Range(0, stores).Select(_ => Database.OpenStore()).ToArray();

        await RunTogetherAsync(stores * writersPerStore, i =>
            instances[i % stores].MutateSyncAsync(Alice, sync.Id, s =>
            {
                Thread.Sleep(1); // widen the read-modify-write window
                return new SyncChange<bool>(
                    s.Sync with { Version = s.Sync.Version + 1, SyncedRecordsCount = s.Sync.SyncedRecordsCount + 1 },
                    [NewRun(sync.Id, T0.AddMilliseconds(1 + i), RunState.Succeeded)], [], true);
            }));

        var after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.NotNull(after);
        Assert.Equal(1 + stores * writersPerStore, after.Sync.Version);
        Assert.Equal(stores * writersPerStore, after.Sync.SyncedRecordsCount);
        Assert.Equal(1 + stores * writersPerStore, (await AllRunsAsync(Alice, sync.Id)).Count);
    }
}
