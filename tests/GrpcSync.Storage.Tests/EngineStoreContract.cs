using GrpcSync.Domain;
using GrpcSync.Storage.Relational;

namespace GrpcSync.Storage.Tests;

/// <summary>
/// An empty database made for one engine test, the means to open stores on it, and raw SQL access
/// for what the stores do not expose (older schema versions, internal columns).
/// </summary>
public interface IEngineTestDatabase : IAsyncDisposable
{
    /// <summary>A new store instance on this database (not migrated); the database disposes it.</summary>
    RelationalSyncStore OpenStore();

    /// <summary>The versions of every migration the store knows.</summary>
    IReadOnlyList<int> KnownMigrationVersions { get; }

    /// <summary>Creates the schema as migrations up to <paramref name="version"/> left it (recorded in schema_migrations), with no store.</summary>
    Task CreateSchemaAsync(int version);

    /// <summary>Runs SQL directly (several statements allowed). Ids are written as 'D'-format text literals.</summary>
    Task ExecuteAsync(string sql);

    /// <summary>The first column of every row of a query, as int64.</summary>
    Task<IReadOnlyList<long>> QueryLongsAsync(string sql);
}

/// <summary>
/// What every store must do for the engine (<see cref="IEngineStore"/>) and for pulling records
/// (<see cref="IRecordStore"/>). Each implementation derives a class that makes an empty database per
/// test. The dispatcher's decisions are the real <see cref="RunRules"/>. Times are whole milliseconds.
/// </summary>
public abstract class EngineStoreContract : IAsyncLifetime
{
    protected static readonly Scope Alice = new("project-1", "alice");
    protected static readonly Scope Bob = new("project-1", "bob");
    protected static readonly Scope AliceInOtherProject = new("project-2", "alice");

    /// <summary>2026-01-01T00:00:00.123Z.</summary>
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);

    /// <summary>The production defaults: 30 s leases, a FULL re-sync every 24 h.</summary>
    protected static readonly RunPolicy Policy = new();

    private readonly List<IEngineTestDatabase> _databases = [];
    private IEngineTestDatabase? _database;
    private RelationalSyncStore? _store;

    protected IEngineTestDatabase Database => _database ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>This test's store, on a migrated database of its own, seen as the API sees it.</summary>
    protected ISyncStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>The same store, seen as the engine sees it.</summary>
    protected IEngineStore Engine => _store ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>The same store, seen as record readers see it.</summary>
    protected IRecordStore Records => _store ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>Makes an empty database (no schema) for this test.</summary>
    protected abstract Task<IEngineTestDatabase> CreateEmptyDatabaseAsync();

    public async Task InitializeAsync()
    {
        _database = await NewDatabaseAsync();
        _store = _database.OpenStore();
        await _store.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }
    }

    protected async Task<IEngineTestDatabase> NewDatabaseAsync()
    {
        var database = await CreateEmptyDatabaseAsync();
        _databases.Add(database);
        return database;
    }

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
        Assert.True(await Engine.RenewLeaseAsync(run.Id, run.Attempt, T0.AddHours(1)));
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
            Assert.True(await Engine.RenewLeaseAsync(run.Id, run.Attempt, T0.AddHours(1)));
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
        Assert.True(await Engine.RenewLeaseAsync(first.Id, 1, t1.AddSeconds(60)));
        Assert.Empty(await DispatchAsync(t1.AddSeconds(45), owner: "worker-b")); // renewed: still held

        var reclaimedAt = t1.AddSeconds(61);
        var (_, second) = Assert.Single(await DispatchAsync(reclaimedAt, owner: "worker-b"));

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(2, second.Attempt);
        Assert.Equal("worker-b", second.LeaseOwner);
        Assert.Equal(reclaimedAt + Policy.Lease, second.LeaseExpiresAt);

        // The first worker lost the run: its renewals and writes are refused and change nothing.
        var before = await Engine.GetSyncAsync(sync.Id);
        Assert.False(await Engine.RenewLeaseAsync(first.Id, 1, reclaimedAt.AddMinutes(10)));
        var fenced = await Engine.WriteRecordPageAsync(Page(first, [Upsert(sync.Id, "a")], reclaimedAt, reconcile: true, "stale"));
        Assert.Equal(new RecordPageResult(true, 0, 0, 0), fenced);
        AssertSameSnapshot(before, await Engine.GetSyncAsync(sync.Id));
        Assert.Empty((await Records.ListRecordsAsync(Alice, sync.Id, 0, 100))!.Records);

        // The second one holds it.
        Assert.True(await Engine.RenewLeaseAsync(second.Id, 2, reclaimedAt.AddSeconds(40)));
        Assert.Equal(new RecordPageResult(false, 1, 0, 0),
            await Engine.WriteRecordPageAsync(Page(second, [Upsert(sync.Id, "a")], reclaimedAt.AddSeconds(1))));
        await FinishAsync(second, reclaimedAt.AddSeconds(2));
        Assert.False(await Engine.RenewLeaseAsync(second.Id, 2, reclaimedAt.AddSeconds(60))); // finished
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

    // ================= Leases and the engine's unscoped access =================

    [Fact]
    public async Task RenewLease_OfAQueuedCancelledOrUnknownRun_IsRefused()
    {
        var (sync, initial) = await InsertSyncAsync(Alice);
        Assert.False(await Engine.RenewLeaseAsync(initial.Id, 0, T0.AddMinutes(1))); // queued
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.MutateSyncAsync(sync.Id, s => RunRules.Cancel(s, run.Id, T0.AddSeconds(2)));

        Assert.False(await Engine.RenewLeaseAsync(run.Id, run.Attempt, T0.AddMinutes(1)));
        Assert.False(await Engine.RenewLeaseAsync(Guid.NewGuid(), 1, T0.AddMinutes(1)));
    }

    [Fact]
    public async Task EngineReadsAndMutations_ById_SeeEveryScope_AndNoDeletedCredential()
    {
        var (sync, _) = await InsertSyncAsync(Bob);
        var credential = NewCredential(AliceInOtherProject, T0);
        await Store.InsertCredentialAsync(credential);
        var deleted = NewCredential(Alice, T0);
        await Store.InsertCredentialAsync(deleted);
        await Store.DeleteCredentialAsync(Alice, deleted.Id, T0.AddSeconds(1), s => SyncChange<Sync>.Nothing(s.Sync));

        Assert.Equal(credential, await Engine.GetCredentialAsync(credential.Id));
        Assert.Null(await Engine.GetCredentialAsync(deleted.Id));
        Assert.Null(await Engine.GetCredentialAsync(Guid.NewGuid()));
        AssertSameSnapshot(await Store.GetSyncAsync(Bob, sync.Id), await Engine.GetSyncAsync(sync.Id));
        Assert.Null(await Engine.GetSyncAsync(Guid.NewGuid()));

        var called = false;
        Assert.Null(await Engine.MutateSyncAsync(Guid.NewGuid(), s =>
        {
            called = true;
            return SyncChange<bool>.Nothing(true);
        }));
        Assert.False(called);
        var change = await Engine.MutateSyncAsync(sync.Id, s =>
            new SyncChange<long>(s.Sync with { Version = s.Sync.Version + 1, Reason = "by the engine" }, [], [], s.Sync.Version + 1));
        Assert.NotNull(change);
        Assert.Equal(2L, change.Result);
        Assert.Equal("by the engine", (await Store.GetSyncAsync(Bob, sync.Id))?.Sync.Reason);
    }

    [Fact]
    public async Task EngineFieldsOfSyncsAndRuns_RoundTrip()
    {
        var (sync, initial) = await InsertSyncAsync(Alice);
        var leased = initial with
        {
            State = RunState.Running,
            Attempt = 3,
            Retries = 2,
            LeaseOwner = "host-1/42 ü",
            LeaseExpiresAt = T0.AddSeconds(30),
        };
        var queued = NewRun(sync.Id, T0.AddSeconds(1)) with { Retries = 4, Error = "timeout" };
        var next = sync with
        {
            Version = sync.Version + 1,
            SourceCursor = "opaque/ß/{\"page\":7}",
            LastFullSyncAt = T0.AddDays(-1),
        };

        await Engine.MutateSyncAsync(sync.Id, s => new SyncChange<bool>(next, [queued], [leased], true));
        var stored = await Engine.GetSyncAsync(sync.Id);

        Assert.Equal(next, stored?.Sync);
        Assert.Equal([leased, queued], stored!.OpenRuns);

        // Released again: the lease goes, the retries stay.
        var released = leased with { State = RunState.Queued, LeaseOwner = null, LeaseExpiresAt = null };
        await Engine.MutateSyncAsync(sync.Id, s => new SyncChange<bool>(null, [], [released], true));
        Assert.Equal([released, queued], (await Engine.GetSyncAsync(sync.Id))!.OpenRuns);

        // A Sync inserted with them set keeps them.
        var (other, otherRun) = NewSync(Alice, "other", null, T0);
        other = other with { SourceCursor = "x", LastFullSyncAt = T0.AddHours(-3) };
        otherRun = otherRun with { Retries = 1, LeaseOwner = "w", LeaseExpiresAt = T0.AddSeconds(5), State = RunState.Running };
        await Store.InsertSyncAsync(other, otherRun);
        Assert.Equal(other, (await Engine.GetSyncAsync(other.Id))?.Sync);
        Assert.Equal([otherRun], (await Engine.GetSyncAsync(other.Id))!.OpenRuns);
    }

    // ================= Record pages =================

    [Fact]
    public async Task WriteRecordPage_NewChangedAndUnchangedRecords_GetTheRightSequences()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        var t1 = T0.AddSeconds(2);
        var t2 = T0.AddSeconds(3);

        var first = await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b"), Upsert(sync.Id, "c")], t1));
        var second = await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b", "v2"), Upsert(sync.Id, "d")], t2));

        Assert.Equal(new RecordPageResult(false, 3, 0, 0), first);
        Assert.Equal(new RecordPageResult(false, 1, 1, 0), second);
        var records = await AllRecordsAsync(sync.Id);
        Assert.Equal(
        [
            Record(sync.Id, "a", 1, t1), // unchanged: keeps its sequence and time
            Record(sync.Id, "c", 3, t1),
            Record(sync.Id, "b", 4, t2, "v2"),
            Record(sync.Id, "d", 5, t2),
        ], records);
    }

    [Fact]
    public async Task WriteRecordPage_AnExternalIdTwiceInOnePage_AppliesThemInOrder()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));

        var result = await Engine.WriteRecordPageAsync(Page(run,
            [Upsert(sync.Id, "a"), Upsert(sync.Id, "a", "v2"), Upsert(sync.Id, "a", "v2")], T0.AddSeconds(2)));

        Assert.Equal(new RecordPageResult(false, 1, 1, 0), result);
        Assert.Equal([Record(sync.Id, "a", 2, T0.AddSeconds(2), "v2")], await AllRecordsAsync(sync.Id));
    }

    [Fact]
    public async Task WriteRecordPage_ReconcileUnseen_TombstonesOnlyWhatThisRunDidNotSee()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var first = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(first, Upserts(sync.Id, "a", "b", "c", "d", "e"), T0.AddSeconds(2)));
        await FinishAsync(first, T0.AddSeconds(3));
        var second = await StartTriggeredRunAsync(sync.Id, RunType.Full, T0.AddSeconds(4));
        var t = T0.AddSeconds(5);

        // The run saw a and b on an earlier page, d (changed) on the last one; c and e are gone.
        var earlier = await Engine.WriteRecordPageAsync(Page(second, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], t));
        var last = await Engine.WriteRecordPageAsync(Page(second, [Upsert(sync.Id, "d", "v2")], t.AddSeconds(1), reconcile: true));

        Assert.Equal(new RecordPageResult(false, 0, 0, 0), earlier);
        Assert.Equal(new RecordPageResult(false, 0, 1, 2), last);
        var records = (await AllRecordsAsync(sync.Id)).ToDictionary(r => r.ExternalId);
        Assert.Equal(Record(sync.Id, "a", 1, T0.AddSeconds(2)), records["a"]);
        Assert.Equal(Record(sync.Id, "b", 2, T0.AddSeconds(2)), records["b"]);
        Assert.Equal(Record(sync.Id, "d", 6, t.AddSeconds(1), "v2"), records["d"]);
        // Tombstones: same id, next sequences in their previous order, data and fingerprint kept.
        Assert.Equal(Record(sync.Id, "c", 7, t.AddSeconds(1)) with { Deleted = true }, records["c"]);
        Assert.Equal(Record(sync.Id, "e", 8, t.AddSeconds(1)) with { Deleted = true }, records["e"]);
        var after = (await Engine.GetSyncAsync(sync.Id))!.Sync;
        Assert.Equal((5L, 3L, 8L), (after.TotalRecords, after.SyncedRecordsCount, after.LatestRecordSequence));

        // Reconciling again deletes nothing more: tombstones stay as they are.
        Assert.Equal(new RecordPageResult(false, 0, 0, 0),
            await Engine.WriteRecordPageAsync(Page(second, [], t.AddSeconds(2), reconcile: true)));
        Assert.Equal(records.Values.OrderBy(r => r.Sequence), await AllRecordsAsync(sync.Id));
    }

    [Fact]
    public async Task WriteRecordPage_TombstoneComingBack_GetsANewSequenceAndIsLiveAgain()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var first = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(first, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], T0.AddSeconds(2)));
        await FinishAsync(first, T0.AddSeconds(3));
        var full = await StartTriggeredRunAsync(sync.Id, RunType.Full, T0.AddSeconds(4));
        Assert.Equal(new RecordPageResult(false, 0, 0, 1),
            await Engine.WriteRecordPageAsync(Page(full, [Upsert(sync.Id, "a")], T0.AddSeconds(5), reconcile: true))); // b → tombstone, 3
        await FinishAsync(full, T0.AddSeconds(5));
        var incremental = await StartTriggeredRunAsync(sync.Id, RunType.Incremental, T0.AddSeconds(6));

        // Back with the very same fingerprint: still a change (it was deleted).
        var result = await Engine.WriteRecordPageAsync(Page(incremental, [Upsert(sync.Id, "b")], T0.AddSeconds(6)));

        Assert.Equal(new RecordPageResult(false, 1, 0, 0), result);
        Assert.Equal(Record(sync.Id, "b", 4, T0.AddSeconds(6)), await Records.GetRecordAsync(Alice, sync.Id, RecordId(sync.Id, "b")));
        var after = (await Engine.GetSyncAsync(sync.Id))!.Sync;
        Assert.Equal((2L, 2L, 4L), (after.TotalRecords, after.SyncedRecordsCount, after.LatestRecordSequence));
    }

    [Fact]
    public async Task WriteRecordPage_UpdatesTheSyncSummaryAndSourceCursor_ButNotItsVersion()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        var before = (await Engine.GetSyncAsync(sync.Id))!.Sync;

        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], T0.AddSeconds(2), sourceCursor: "src-1"));
        var afterFirst = (await Engine.GetSyncAsync(sync.Id))!.Sync;
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "c")], T0.AddSeconds(3), reconcile: true));
        var afterSecond = (await Engine.GetSyncAsync(sync.Id))!.Sync;

        Assert.Equal(before with { TotalRecords = 2, SyncedRecordsCount = 2, LatestRecordSequence = 2, SourceCursor = "src-1" },
            afterFirst);
        Assert.Equal(before.ETag, afterFirst.ETag);
        // a and b were seen by this run (first page): reconcile keeps them. No cursor given: the old one stays.
        Assert.Equal(afterFirst with { TotalRecords = 3, SyncedRecordsCount = 3, LatestRecordSequence = 3 }, afterSecond);
    }

    [Fact]
    public async Task WriteRecordPage_FencedPages_WriteNothing()
    {
        var (sync, initial) = await InsertSyncAsync(Alice);
        var (other, _) = await InsertSyncAsync(Alice, "other");
        var queuedPage = Page(initial with { Attempt = 0 }, [Upsert(sync.Id, "a")], T0, reconcile: false, "c");
        Assert.Equal(new RecordPageResult(true, 0, 0, 0), await Engine.WriteRecordPageAsync(queuedPage)); // not running
        var started = await DispatchAsync(T0.AddSeconds(1));
        var run = Assert.Single(started, s => s.Sync.Id == sync.Id).Run;
        var otherRun = Assert.Single(started, s => s.Sync.Id == other.Id).Run;
        var before = await Engine.GetSyncAsync(sync.Id);

        RecordPage[] fenced =
        [
            Page(run with { Attempt = 2 }, [Upsert(sync.Id, "a")], T0.AddSeconds(2), reconcile: true, "c"), // a later attempt
            Page(run with { Attempt = 0 }, [Upsert(sync.Id, "a")], T0.AddSeconds(2), reconcile: true, "c"), // an earlier one
            Page(run with { Id = Guid.NewGuid() }, [Upsert(sync.Id, "a")], T0.AddSeconds(2)), // unknown run
            Page(otherRun with { SyncId = sync.Id }, [Upsert(sync.Id, "a")], T0.AddSeconds(2)), // another Sync's run
            Page(run with { SyncId = Guid.NewGuid() }, [Upsert(sync.Id, "a")], T0.AddSeconds(2)), // unknown Sync
        ];
        foreach (var page in fenced)
        {
            Assert.Equal(new RecordPageResult(true, 0, 0, 0), await Engine.WriteRecordPageAsync(page));
        }

        AssertSameSnapshot(before, await Engine.GetSyncAsync(sync.Id));
        Assert.Equal([0L], await Database.QueryLongsAsync("SELECT COUNT(*) FROM sync_records"));
        Assert.Equal([0L, 0L], await Database.QueryLongsAsync("SELECT record_sequence FROM syncs"));
    }

    [Fact]
    public async Task WriteRecordPage_AfterSyncMutations_KeepsCountingSequences()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], T0.AddSeconds(2)));

        // Mutations write the whole Sync back; the store's record counter is not part of it, even when a change sets it.
        await Store.MutateSyncAsync(Alice, sync.Id, s => new SyncChange<bool>(
            s.Sync with { Version = s.Sync.Version + 1, Frequency = "5m", UpdatedAt = T0.AddSeconds(3), LatestRecordSequence = 99 }, [], [], true));
        await Engine.MutateSyncAsync(sync.Id, s => new SyncChange<bool>(s.Sync with { Version = s.Sync.Version + 1 }, [], [], true));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "c")], T0.AddSeconds(4)));

        Assert.Equal([1L, 2L, 3L], (await AllRecordsAsync(sync.Id)).Select(r => r.Sequence));
        Assert.Equal([3L], await Database.QueryLongsAsync("SELECT record_sequence FROM syncs"));
        Assert.Equal(3, (await Engine.GetSyncAsync(sync.Id))?.Sync.LatestRecordSequence);
    }

    [Fact]
    public async Task WriteRecordPage_ConcurrentWithPagesAndMutations_LosesNothing()
    {
        const int pages = 20, mutations = 20;
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        var versionBefore = (await Engine.GetSyncAsync(sync.Id))!.Sync.Version;
        var other = Database.OpenStore();

        await RunTogetherAsync(pages + mutations, async i =>
        {
            var store = i % 2 == 0 ? Engine : other;
            if (i < pages)
            {
                var result = await store.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, $"r{i:D2}")], T0.AddSeconds(2)));
                Assert.Equal(new RecordPageResult(false, 1, 0, 0), result);
            }
            else
            {
                await store.MutateSyncAsync(sync.Id, s => new SyncChange<bool>(s.Sync with { Version = s.Sync.Version + 1 }, [], [], true));
            }
            return true;
        });

        var records = await AllRecordsAsync(sync.Id);
        Assert.Equal(Enumerable.Range(1, pages).Select(i => (long)i), records.Select(r => r.Sequence));
        var after = (await Engine.GetSyncAsync(sync.Id))!.Sync;
        Assert.Equal(versionBefore + mutations, after.Version);
        Assert.Equal(((long)pages, (long)pages, (long)pages), (after.TotalRecords, after.SyncedRecordsCount, after.LatestRecordSequence));
    }

    // ================= Pulling records =================

    [Fact]
    public async Task ListRecords_PagesBySequence_AndARecordChangedMeanwhileComesAgainLater()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, Upserts(sync.Id, "a", "b", "c", "d", "e"), T0.AddSeconds(2)));
        var pulled = new List<SyncRecord>();

        var page1 = (await Records.ListRecordsAsync(Alice, sync.Id, 0, 2))!;
        pulled.AddRange(page1.Records);
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a", "v2")], T0.AddSeconds(3))); // a was already pulled
        var page2 = (await Records.ListRecordsAsync(Alice, sync.Id, page1.Records[^1].Sequence, 2))!;
        pulled.AddRange(page2.Records);
        var page3 = (await Records.ListRecordsAsync(Alice, sync.Id, page2.Records[^1].Sequence, 2))!;
        pulled.AddRange(page3.Records);
        var page4 = (await Records.ListRecordsAsync(Alice, sync.Id, page3.Records[^1].Sequence, 2))!;

        Assert.Equal(["a", "b"], page1.Records.Select(r => r.ExternalId));
        Assert.Equal((5L, 5L, 3L), (page1.TotalRecords, page1.TotalActiveRecords, page1.RemainingAfterPage));
        Assert.Equal(["c", "d"], page2.Records.Select(r => r.ExternalId));
        Assert.Equal(2L, page2.RemainingAfterPage);
        Assert.Equal(["e", "a"], page3.Records.Select(r => r.ExternalId));
        Assert.Equal(0L, page3.RemainingAfterPage);
        Assert.Empty(page4.Records);
        Assert.Equal((5L, 5L, 0L), (page4.TotalRecords, page4.TotalActiveRecords, page4.RemainingAfterPage));
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], pulled.Select(r => r.Sequence)); // every change once, none skipped
        Assert.Equal(Record(sync.Id, "a", 6, T0.AddSeconds(3), "v2"), pulled[^1]);
    }

    [Fact]
    public async Task ListRecords_IncludesTombstones_AndCountsOnlyLiveRecordsAsActive()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b"), Upsert(sync.Id, "c")], T0.AddSeconds(2)));
        await FinishAsync(run, T0.AddSeconds(3));
        var full = await StartTriggeredRunAsync(sync.Id, RunType.Full, T0.AddSeconds(4));
        await Engine.WriteRecordPageAsync(Page(full, [Upsert(sync.Id, "b")], T0.AddSeconds(5), reconcile: true));

        var page = (await Records.ListRecordsAsync(Alice, sync.Id, 2, 10))!;

        Assert.Equal([("a", 4L, true), ("c", 5L, true)], page.Records.Select(r => (r.ExternalId, r.Sequence, r.Deleted)));
        Assert.Equal((3L, 1L, 0L), (page.TotalRecords, page.TotalActiveRecords, page.RemainingAfterPage));
        Assert.Equal(Record(sync.Id, "a", 4, T0.AddSeconds(5)) with { Deleted = true },
            await Records.GetRecordAsync(Alice, sync.Id, RecordId(sync.Id, "a")));
    }

    [Fact]
    public async Task ListRecordsAndGetRecord_OfAnotherScopeOrUnknown_AreNull()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a")], T0.AddSeconds(2)));
        var (empty, _) = await InsertSyncAsync(Alice, "empty");

        foreach (var scope in new[] { Bob, AliceInOtherProject })
        {
            Assert.Null(await Records.ListRecordsAsync(scope, sync.Id, 0, 10));
            Assert.Null(await Records.GetRecordAsync(scope, sync.Id, RecordId(sync.Id, "a")));
        }
        Assert.Null(await Records.ListRecordsAsync(Alice, Guid.NewGuid(), 0, 10));
        Assert.Null(await Records.GetRecordAsync(Alice, sync.Id, Guid.NewGuid()));
        Assert.Null(await Records.GetRecordAsync(Alice, empty.Id, RecordId(sync.Id, "a"))); // another Sync's record
        var none = (await Records.ListRecordsAsync(Alice, empty.Id, 0, 10))!;
        Assert.Empty(none.Records);
        Assert.Equal((0L, 0L, 0L), (none.TotalRecords, none.TotalActiveRecords, none.RemainingAfterPage));
        Assert.NotNull(await Records.GetRecordAsync(Alice, sync.Id, RecordId(sync.Id, "a")));
    }

    [Fact]
    public async Task ListRecords_LimitBelowOne_IsRejected()
    {
        var (sync, _) = await InsertSyncAsync(Alice);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Records.ListRecordsAsync(Alice, sync.Id, 0, 0));
    }

    [Fact]
    public async Task DeleteSync_RemovesItsRecords()
    {
        var (sync, _) = await InsertSyncAsync(Alice, bound: false);
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(run, [Upsert(sync.Id, "a"), Upsert(sync.Id, "b")], T0.AddSeconds(2)));
        var (kept, _) = await InsertSyncAsync(Alice, "kept", bound: false);
        var keptRun = await StartRunAsync(kept.Id, T0.AddSeconds(3));
        await Engine.WriteRecordPageAsync(Page(keptRun, [Upsert(kept.Id, "a")], T0.AddSeconds(4)));

        Assert.True(await Store.DeleteSyncAsync(Alice, sync.Id));

        Assert.Equal([1L], await Database.QueryLongsAsync("SELECT COUNT(*) FROM sync_records"));
        Assert.Null(await Records.GetRecordAsync(Alice, sync.Id, RecordId(sync.Id, "a")));
        // Enabled again (same id): no records, and its counter starts over.
        var (again, againRun) = NewSync(Alice, "default", null, T0.AddHours(1));
        await Store.InsertSyncAsync(again, againRun);
        var page = (await Records.ListRecordsAsync(Alice, sync.Id, 0, 10))!;
        Assert.Equal((0, 0L, 0L), (page.Records.Count, page.TotalRecords, page.TotalActiveRecords));
        // A new life: the page says so, so an old cursor (sequence of the old life) can be told apart.
        Assert.Equal(again.Incarnation, page.Incarnation);
        Assert.NotEqual(sync.Incarnation, page.Incarnation);
        Assert.Equal(0, (await Engine.GetSyncAsync(sync.Id))!.Sync.LatestRecordSequence);
        var newRun = await StartRunAsync(sync.Id, T0.AddHours(1).AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(newRun, [Upsert(sync.Id, "z")], T0.AddHours(1).AddSeconds(2)));
        Assert.Equal([1L], (await AllRecordsAsync(sync.Id)).Select(r => r.Sequence));
    }

    // ================= Schema =================

    [Fact]
    public async Task Migrate_FromVersion1_KeepsTheDataAndAddsTheEngineColumns()
    {
        var database = await NewDatabaseAsync();
        await database.CreateSchemaAsync(1);
        var credential = NewCredential(Alice, T0);
        var sync = new Sync
        {
            Id = Guid.NewGuid(),
            ProjectId = Alice.ProjectId,
            UserId = Alice.UserId,
            Integration = "hubspot",
            Pipeline = "contacts",
            ConfigurationName = "default",
            ConfigurationJson = """{"region":"eu"}""",
            CredentialId = credential.Id,
            Frequency = "5m",
            Status = SyncStatus.Active,
            NextRunAt = T0.AddMinutes(5),
            LastRunStartedAt = T0,
            LastSyncedAt = T0.AddMinutes(-5),
            TotalRecords = 0,
            SyncedRecordsCount = 0,
            Version = 4,
            Incarnation = T0.AddDays(-1).ToUnixTimeMilliseconds(), // migration 3 names an existing life by its creation
            CreatedAt = T0.AddDays(-1),
            UpdatedAt = T0,
        };
        var running = NewRun(sync.Id, T0) with { State = RunState.Running, StartedAt = T0, Attempt = 1 };
        var done = NewRun(sync.Id, T0.AddMinutes(-6)) with
        {
            State = RunState.Succeeded, StartedAt = T0.AddMinutes(-6), FinishedAt = T0.AddMinutes(-5), Attempt = 1,
        };
        await database.ExecuteAsync($$"""
            INSERT INTO credentials (id, project_id, user_id, integration, display_name, protected_secret, created_at, deleted_at)
            VALUES ('{{credential.Id:D}}', 'project-1', 'alice', 'hubspot', '{{credential.DisplayName}}', '{{credential.ProtectedSecret}}',
                    {{Ms(credential.CreatedAt)}}, NULL);
            INSERT INTO syncs (id, project_id, user_id, integration, pipeline, configuration_name, configuration_json, credential_id,
                frequency, status, reason, rate_limit_backoff_ms, next_run_at, last_run_started_at, last_synced_at,
                total_records, synced_records_count, latest_cursor, version, created_at, updated_at)
            VALUES ('{{sync.Id:D}}', 'project-1', 'alice', 'hubspot', 'contacts', 'default', '{"region":"eu"}', '{{credential.Id:D}}',
                '5m', 'Active', NULL, NULL, {{Ms(sync.NextRunAt!.Value)}}, {{Ms(T0)}}, {{Ms(sync.LastSyncedAt!.Value)}},
                0, 0, NULL, 4, {{Ms(sync.CreatedAt)}}, {{Ms(T0)}});
            INSERT INTO sync_runs (id, sync_id, run_type, run_trigger, state, created_at, due_at, started_at, finished_at, attempt, error)
            VALUES ('{{running.Id:D}}', '{{sync.Id:D}}', 'Incremental', 'Schedule', 'Running', {{Ms(T0)}}, {{Ms(T0)}}, {{Ms(T0)}}, NULL, 1, NULL),
                   ('{{done.Id:D}}', '{{sync.Id:D}}', 'Incremental', 'Schedule', 'Succeeded', {{Ms(done.CreatedAt)}}, {{Ms(done.DueAt)}},
                    {{Ms(done.StartedAt!.Value)}}, {{Ms(done.FinishedAt!.Value)}}, 1, NULL);
            """);
        var store = database.OpenStore();

        await store.MigrateAsync();

        Assert.Equal(database.KnownMigrationVersions.Select(v => (long)v),
            await database.QueryLongsAsync("SELECT version FROM schema_migrations ORDER BY version"));
        Assert.Contains(2, database.KnownMigrationVersions);
        var snapshot = await store.GetSyncAsync(Alice, sync.Id);
        Assert.Equal(sync, snapshot?.Sync); // SourceCursor and LastFullSyncAt null
        Assert.Equal([running], snapshot!.OpenRuns); // Retries 0, no lease
        Assert.Equal([running, done], (await store.ListRunsAsync(Alice, sync.Id, 10, null))!.Runs);
        Assert.Equal(credential, await store.GetCredentialAsync(Alice, credential.Id));

        // The engine works on it: a RUNNING run without a lease (from before leases) is claimed again.
        var now = T0.AddSeconds(1);
        var (_, reclaimed) = Assert.Single(await store.DispatchAsync(now, 10, s => RunRules.Dispatch(s, now, "worker-1", Policy)));
        Assert.Equal((running.Id, 2), (reclaimed.Id, reclaimed.Attempt));
        Assert.Equal(new RecordPageResult(false, 1, 0, 0),
            await store.WriteRecordPageAsync(Page(reclaimed, [Upsert(sync.Id, "a")], now)));
        Assert.Equal(1, Assert.Single((await store.ListRecordsAsync(Alice, sync.Id, 0, 10))!.Records).Sequence);
    }

    [Fact]
    public async Task Migrate_FromVersion2_NamesEachSyncsLifeByItsCreation_AndKeepsItsLatestRecordSequence()
    {
        var database = await NewDatabaseAsync();
        await database.CreateSchemaAsync(2);
        var older = Guid.NewGuid();
        var newer = Guid.NewGuid();
        var olderCreated = T0.AddDays(-2);
        var newerCreated = T0.AddDays(-1);
        await database.ExecuteAsync($$"""
            INSERT INTO syncs (id, project_id, user_id, integration, pipeline, configuration_name, configuration_json, credential_id,
                frequency, status, reason, rate_limit_backoff_ms, next_run_at, last_run_started_at, last_synced_at,
                total_records, synced_records_count, latest_cursor, version, created_at, updated_at, record_sequence)
            VALUES ('{{older:D}}', 'project-1', 'alice', 'hubspot', 'contacts', 'a', '{}', NULL,
                    NULL, 'Idle', NULL, NULL, NULL, NULL, NULL, 5, 4, 'Y3Vyc29yOjU=', 3, {{Ms(olderCreated)}}, {{Ms(T0)}}, 5),
                   ('{{newer:D}}', 'project-1', 'alice', 'hubspot', 'contacts', 'b', '{}', NULL,
                    NULL, 'Initializing', NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, 1, {{Ms(newerCreated)}}, {{Ms(T0)}}, 0);
            """);
        var store = database.OpenStore();

        await store.MigrateAsync();

        var migratedOlder = (await store.GetSyncAsync(Alice, older))!.Sync;
        var migratedNewer = (await store.GetSyncAsync(Alice, newer))!.Sync;
        Assert.Equal((Ms(olderCreated), 5L), (migratedOlder.Incarnation, migratedOlder.LatestRecordSequence));
        Assert.Equal((Ms(newerCreated), 0L), (migratedNewer.Incarnation, migratedNewer.LatestRecordSequence));
        Assert.Equal(Ms(olderCreated), (await ((IRecordStore)store).ListRecordsAsync(Alice, older, 0, 10))!.Incarnation);
        Assert.Equal(Ms(newerCreated), (await store.ListRunsAsync(Alice, newer, 10, null))!.Incarnation);
    }

    // ================= Helpers =================

    /// <summary>Runs the operations at once, each on a thread of its own (see SyncStoreContract's twin).</summary>
    protected static async Task<T[]> RunTogetherAsync<T>(int count, Func<int, Task<T>> operation)
    {
        using var go = new ManualResetEventSlim();
        var tasks = new Task<T>[count];
        for (var i = 0; i < count; i++)
        {
            var index = i;
            tasks[i] = Task.Factory.StartNew(() =>
            {
                go.Wait();
                return operation(index);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
        go.Set();
        return await Task.WhenAll(tasks);
    }

    /// <summary>Snapshots are equal when their Syncs and open runs are (a snapshot's list compares by reference).</summary>
    protected static void AssertSameSnapshot(SyncSnapshot? expected, SyncSnapshot? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Sync, actual.Sync);
        Assert.Equal(expected.OpenRuns, actual.OpenRuns);
    }

    /// <summary>Dispatch with the real rules as <paramref name="owner"/> at <paramref name="now"/>.</summary>
    protected Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max = 100, string owner = "worker-1") =>
        Engine.DispatchAsync(now, max, s => RunRules.Dispatch(s, now, owner, Policy));

    /// <summary>Dispatches at <paramref name="now"/> and returns the run started for <paramref name="syncId"/>.</summary>
    protected async Task<SyncRun> StartRunAsync(Guid syncId, DateTimeOffset now, string owner = "worker-1") =>
        Assert.Single(await DispatchAsync(now, owner: owner), s => s.Sync.Id == syncId).Run;

    /// <summary>Queues a run as TriggerSync would and starts it at once.</summary>
    protected async Task<SyncRun> StartTriggeredRunAsync(Guid syncId, RunType type, DateTimeOffset now)
    {
        await Engine.MutateSyncAsync(syncId, s => RunRules.Trigger(s, type, now));
        var run = await StartRunAsync(syncId, now);
        Assert.Equal(type, run.Type);
        return run;
    }

    /// <summary>Reports the run as succeeded, as its worker would.</summary>
    protected async Task FinishAsync(SyncRun run, DateTimeOffset now)
    {
        var change = await Engine.MutateSyncAsync(run.SyncId,
            s => RunRules.Finish(s, run.Id, run.Attempt, new RunOutcome.Succeeded(null), now, Policy));
        Assert.False(change?.Result.Fenced ?? true);
    }

    /// <summary>Sets a Sync's status as it is, runs and schedule untouched (a stopped Sync that still looks due).</summary>
    private async Task ForceStatusAsync(Guid syncId, SyncStatus status) =>
        await Engine.MutateSyncAsync(syncId, s => new SyncChange<bool>(s.Sync with { Status = status, Version = s.Sync.Version + 1 }, [], [], true));

    /// <summary>
    /// Inserts a new Sync as the domain enables it (INITIAL run queued, due at <paramref name="at"/>), bound
    /// to a new credential of the scope (inserted first) or, with <paramref name="bound"/> false, to none.
    /// </summary>
    protected async Task<(Sync Sync, SyncRun InitialRun)> InsertSyncAsync(Scope scope, string name = "default",
        DateTimeOffset? at = null, bool bound = true)
    {
        Guid? credentialId = null;
        if (bound)
        {
            var credential = NewCredential(scope, at ?? T0);
            await Store.InsertCredentialAsync(credential);
            credentialId = credential.Id;
        }
        var (sync, run) = NewSync(scope, name, credentialId, at ?? T0);
        var (stored, created) = await Store.InsertSyncAsync(sync, run);
        Assert.True(created);
        return (stored, run);
    }

    protected static (Sync Sync, SyncRun InitialRun) NewSync(Scope scope, string name, Guid? credentialId, DateTimeOffset at)
    {
        var (sync, run) = SyncRules.Enable(scope, "hubspot", "contacts", name, "{}", credentialId ?? Guid.Empty, null, at);
        return (sync with { CredentialId = credentialId }, run);
    }

    protected static Credential NewCredential(Scope scope, DateTimeOffset createdAt) => new()
    {
        Id = Guid.NewGuid(),
        ProjectId = scope.ProjectId,
        UserId = scope.UserId,
        Integration = "hubspot",
        DisplayName = "hubspot account",
        ProtectedSecret = "protected:" + Guid.NewGuid().ToString("N"),
        CreatedAt = createdAt,
    };

    protected static SyncRun NewRun(Guid syncId, DateTimeOffset createdAt) => new()
    {
        Id = Guid.NewGuid(),
        SyncId = syncId,
        Type = RunType.Incremental,
        Trigger = RunTrigger.Schedule,
        State = RunState.Queued,
        CreatedAt = createdAt,
        DueAt = createdAt,
    };

    protected static Guid RecordId(Guid syncId, string externalId) => NameBasedGuid.ForRecord(syncId, externalId);

    /// <summary>A source item as a connector would hand it over; the fingerprint follows the version.</summary>
    protected static RecordUpsert Upsert(Guid syncId, string externalId, string version = "v1") =>
        new(RecordId(syncId, externalId), externalId, Data(externalId, version), $"{externalId}@{version}");

    protected static RecordUpsert[] Upserts(Guid syncId, params string[] externalIds) =>
        externalIds.Select(x => Upsert(syncId, x)).ToArray();

    /// <summary>The stored record <see cref="Upsert"/> leads to (live).</summary>
    protected static SyncRecord Record(Guid syncId, string externalId, long sequence, DateTimeOffset syncedAt, string version = "v1") => new()
    {
        Id = RecordId(syncId, externalId),
        SyncId = syncId,
        ExternalId = externalId,
        Sequence = sequence,
        Deleted = false,
        DataJson = Data(externalId, version),
        Fingerprint = $"{externalId}@{version}",
        SyncedAt = syncedAt,
    };

    protected static RecordPage Page(SyncRun run, IReadOnlyList<RecordUpsert> upserts, DateTimeOffset now, bool reconcile = false,
        string? sourceCursor = null) =>
        new(run.SyncId, run.Id, run.Attempt, upserts, reconcile, sourceCursor, now);

    /// <summary>Every record of one of Alice's Syncs (tombstones too), in sequence order.</summary>
    protected async Task<IReadOnlyList<SyncRecord>> AllRecordsAsync(Guid syncId) =>
        (await Records.ListRecordsAsync(Alice, syncId, 0, 10_000))!.Records;

    private static string Data(string externalId, string version) => $$"""{"name":"{{externalId}}.txt","version":"{{version}}"}""";

    private static long Ms(DateTimeOffset value) => value.ToUnixTimeMilliseconds();
}
