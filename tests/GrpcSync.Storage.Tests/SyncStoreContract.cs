using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>
/// What every <see cref="ISyncStore"/> must do. Each implementation derives a class that makes an
/// empty database per test. Times are whole milliseconds (what the stores keep).
/// </summary>
public abstract partial class SyncStoreContract : IAsyncLifetime
{
    protected static readonly Scope Alice = new("project-1", "alice");
    protected static readonly Scope Bob = new("project-1", "bob");
    protected static readonly Scope AliceInOtherProject = new("project-2", "alice");

    /// <summary>2026-01-01T00:00:00.123Z.</summary>
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);

    private readonly List<ITestDatabase> _databases = [];
    private ITestDatabase? _database;
    private ISyncStore? _store;

    /// <summary>The store of this test, on a migrated database of its own.</summary>
    protected ISyncStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    protected ITestDatabase Database => _database ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>Makes an empty database (no schema) for this test.</summary>
    protected abstract Task<ITestDatabase> CreateEmptyDatabaseAsync();

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

    protected async Task<ITestDatabase> NewDatabaseAsync()
    {
        var database = await CreateEmptyDatabaseAsync();
        _databases.Add(database);
        return database;
    }

    // ================= Schema =================

    [Fact]
    public async Task Migrate_RunTwice_IsIdempotentAndRecordsEachVersionOnce()
    {
        await Store.MigrateAsync();
        await Store.MigrateAsync();

        Assert.NotEmpty(Database.KnownMigrationVersions);
        Assert.Equal(Database.KnownMigrationVersions, await Database.ReadAppliedMigrationVersionsAsync());
        var (sync, run) = await NewBoundSyncAsync(Alice);
        Assert.True((await Store.InsertSyncAsync(sync, run)).Created);
    }

    [Fact]
    public async Task Migrate_FromSeveralStoresAtOnce_AppliesEachVersionOnce()
    {
        var database = await NewDatabaseAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => database.OpenStore()).ToArray();

        await RunTogetherAsync(stores.Length, async i =>
        {
            await stores[i].MigrateAsync();
            return true;
        });

        Assert.Equal(database.KnownMigrationVersions, await database.ReadAppliedMigrationVersionsAsync());
        var (sync, run) = await NewBoundSyncAsync(Alice, store: stores[0]);
        Assert.True((await stores[0].InsertSyncAsync(sync, run)).Created);
        Assert.NotNull(await stores[3].GetSyncAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task Ping_OnAWorkingStore_ReturnsTrue()
    {
        Assert.True(await Store.PingAsync());
    }

    // ================= InsertSync / GetSync =================

    [Fact]
    public async Task InsertSync_ThenGetSync_RoundTripsEveryField()
    {
        var scope = new Scope("project-ü", "user 'quoted'");
        var credential = await InsertCredentialAsync(scope);
        var sync = new Sync
        {
            Id = Guid.NewGuid(),
            ProjectId = scope.ProjectId,
            UserId = scope.UserId,
            Integration = "salesforce",
            Pipeline = "accounts",
            ConfigurationName = "eu-west",
            ConfigurationJson = """{"a":[1,2.5,null],"b":"ß€","c":{"d":true}}""",
            CredentialId = credential.Id,
            Frequency = "5m",
            Status = SyncStatus.RateLimited,
            Reason = "Too many requests — retry later",
            RateLimitBackoffMs = 90_000,
            NextRunAt = T0.AddMinutes(5),
            LastRunStartedAt = T0.AddSeconds(-30),
            LastSyncedAt = T0.AddSeconds(-10),
            TotalRecords = 9_876_543_210,
            SyncedRecordsCount = 1_234_567_890,
            Version = 7,
            Incarnation = 8_765_432_109_876_543_210,
            CreatedAt = T0.AddDays(-1),
            UpdatedAt = T0,
        };
        var run = new SyncRun
        {
            Id = Guid.NewGuid(),
            SyncId = sync.Id,
            Type = RunType.Full,
            Trigger = RunTrigger.CredentialChange,
            State = RunState.Running,
            CreatedAt = T0.AddMinutes(-2),
            DueAt = T0.AddMinutes(-1),
            StartedAt = T0.AddSeconds(-50),
            FinishedAt = T0.AddSeconds(-40),
            Attempt = 3,
            Error = "the previous attempt timed out",
        };

        var (stored, created) = await Store.InsertSyncAsync(sync, run);
        var snapshot = await Store.GetSyncAsync(sync.Scope, sync.Id);

        Assert.True(created);
        Assert.Equal(sync, stored);
        Assert.NotNull(snapshot);
        Assert.Equal(sync, snapshot.Sync);
        Assert.Equal([run], snapshot.OpenRuns);
        Assert.Equal(TimeSpan.Zero, snapshot.Sync.CreatedAt.Offset);
        Assert.Equal(TimeSpan.Zero, snapshot.OpenRuns[0].DueAt.Offset);
        Assert.Equal(sync.ETag, snapshot.Sync.ETag);
    }

    [Fact]
    public async Task InsertSync_WithOptionalFieldsUnset_RoundTripsTheNulls()
    {
        var (sync, run) = NewSync(Alice, credentialId: null);
        sync = sync with { NextRunAt = null };

        await Store.InsertSyncAsync(sync, run);
        var snapshot = await Store.GetSyncAsync(Alice, sync.Id);

        Assert.NotNull(snapshot);
        Assert.Equal(sync, snapshot.Sync);
        Assert.Null(snapshot.Sync.CredentialId);
        Assert.Null(snapshot.Sync.Frequency);
        Assert.Null(snapshot.Sync.LastSyncedAt);
        Assert.Equal([run], snapshot.OpenRuns);
    }

    [Fact]
    public async Task InsertSync_SubMillisecondTimes_AreKeptToTheMillisecond()
    {
        var precise = T0.AddTicks(4_567); // 0.4567 ms
        var (sync, run) = await NewBoundSyncAsync(Alice, at: precise);

        var (stored, _) = await Store.InsertSyncAsync(sync, run);

        Assert.Equal(T0, stored.CreatedAt);
        Assert.Equal(T0, stored.UpdatedAt);
    }

    [Fact]
    public async Task InsertSync_ExistingId_ReturnsTheStoredSyncAndAddsNoRun()
    {
        var (sync, run) = await NewBoundSyncAsync(Alice);
        await Store.InsertSyncAsync(sync, run);
        var again = sync with { Frequency = "1h", CreatedAt = T0.AddHours(1), UpdatedAt = T0.AddHours(1) };
        var secondRun = SyncRules.NewRun(sync.Id, RunType.Initial, RunTrigger.Enable, T0.AddHours(1));

        var (stored, created) = await Store.InsertSyncAsync(again, secondRun);

        Assert.False(created);
        Assert.Equal(sync, stored);
        Assert.Equal([run], await AllRunsAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task InsertSync_ConcurrentInsertsOfOneId_CreateItOnce()
    {
        var (sync, _) = await NewBoundSyncAsync(Alice);

        var results = await RunTogetherAsync(10, i =>
            Store.InsertSyncAsync(sync, SyncRules.NewRun(sync.Id, RunType.Initial, RunTrigger.Enable, T0.AddMilliseconds(i))));

        Assert.Single(results, r => r.Created);
        Assert.All(results, r => Assert.Equal(sync, r.Sync));
        Assert.Single(await AllRunsAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task InsertSync_InitialRunOfAnotherSync_IsRejected()
    {
        var (sync, _) = await NewBoundSyncAsync(Alice);
        var foreignRun = SyncRules.NewRun(Guid.NewGuid(), RunType.Initial, RunTrigger.Enable, T0);

        await Assert.ThrowsAsync<ArgumentException>(() => Store.InsertSyncAsync(sync, foreignRun));
        Assert.Null(await Store.GetSyncAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task GetSync_OfAnotherUserOrProject_IsNotFound()
    {
        var (sync, run) = await NewBoundSyncAsync(Alice);
        await Store.InsertSyncAsync(sync, run);

        Assert.Null(await Store.GetSyncAsync(Bob, sync.Id));
        Assert.Null(await Store.GetSyncAsync(AliceInOtherProject, sync.Id));
        Assert.NotNull(await Store.GetSyncAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task GetSync_UnknownId_ReturnsNull()
    {
        Assert.Null(await Store.GetSyncAsync(Alice, Guid.NewGuid()));
    }

    [Fact]
    public async Task GetSync_ReturnsOnlyQueuedAndRunningRunsOldestFirst()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var running = NewRun(sync.Id, T0.AddSeconds(1), RunState.Running);
        var runs = new[]
        {
            NewRun(sync.Id, T0.AddSeconds(2), RunState.Succeeded),
            NewRun(sync.Id, T0.AddSeconds(3), RunState.Failed),
            NewRun(sync.Id, T0.AddSeconds(4), RunState.Cancelled),
            running,
        };
        await Store.MutateSyncAsync(Alice, sync.Id, s => new SyncChange<bool>(null, runs, [], true));

        var snapshot = await Store.GetSyncAsync(Alice, sync.Id);

        Assert.NotNull(snapshot);
        Assert.Equal([initial, running], snapshot.OpenRuns);
        Assert.Equal(initial, snapshot.PendingRun);
        Assert.Equal(running, snapshot.RunningRun);
    }

    // ================= ListSyncs =================

    [Fact]
    public async Task ListSyncs_ReturnsOnlyTheScopesSyncsOldestFirst()
    {
        var third = await InsertNewSyncAsync(Alice, "c", T0.AddMinutes(2));
        var first = await InsertNewSyncAsync(Alice, "a", T0);
        var second = await InsertNewSyncAsync(Alice, "b", T0.AddMinutes(1));
        await InsertNewSyncAsync(Bob, "a", T0);
        await InsertNewSyncAsync(AliceInOtherProject, "a", T0);

        var listed = await Store.ListSyncsAsync(Alice, credentialId: null);

        Assert.Equal([first.Sync, second.Sync, third.Sync], listed);
        Assert.Empty(await Store.ListSyncsAsync(new Scope("project-1", "nobody"), null));
    }

    [Fact]
    public async Task ListSyncs_WithEqualCreationTimes_OrdersById()
    {
        var syncs = new List<Sync>();
        for (var i = 0; i < 6; i++)
        {
            syncs.Add((await InsertNewSyncAsync(Alice, $"same-time-{i}", T0)).Sync);
        }

        var listed = await Store.ListSyncsAsync(Alice, null);

        Assert.Equal(syncs.OrderBy(s => s.Id.ToString(), StringComparer.Ordinal), listed);
    }

    [Fact]
    public async Task ListSyncs_WithACredential_ReturnsOnlyTheSyncsBoundToIt()
    {
        var credential = (await InsertCredentialAsync(Alice)).Id;
        var a = await InsertNewSyncAsync(Alice, "a", T0, credential);
        await InsertNewSyncAsync(Alice, "b", T0.AddSeconds(1)); // bound to another credential of Alice
        var c = await InsertNewSyncAsync(Alice, "c", T0.AddSeconds(2), credential);
        // Bob's Sync refers to Alice's credential: the store no longer binds across scopes, but a database may hold such a row.
        var (foreign, _) = await InsertNewSyncAsync(Bob, "a", T0);
        await Database.SetCredentialIdUncheckedAsync(foreign.Id, credential);

        Assert.Equal([a.Sync, c.Sync], await Store.ListSyncsAsync(Alice, credential));
        Assert.Empty(await Store.ListSyncsAsync(Alice, Guid.NewGuid()));
        Assert.Equal([foreign with { CredentialId = credential }], await Store.ListSyncsAsync(Bob, credential));
    }

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

    // ================= DeleteSync =================

    [Fact]
    public async Task DeleteSync_RemovesTheSyncAndItsRuns_AndTheIdCanBeEnabledAgain()
    {
        var (sync, _) = await InsertNewSyncAsync(Alice);
        await Store.MutateSyncAsync(Alice, sync.Id, s =>
            new SyncChange<bool>(null, [NewRun(sync.Id, T0.AddSeconds(1), RunState.Succeeded)], [], true));
        var (kept, keptRun) = await InsertNewSyncAsync(Alice, "kept");

        Assert.True(await Store.DeleteSyncAsync(Alice, sync.Id));

        Assert.Null(await Store.GetSyncAsync(Alice, sync.Id));
        Assert.Null(await Store.ListRunsAsync(Alice, sync.Id, 100, null));
        Assert.Equal([kept], await Store.ListSyncsAsync(Alice, null));
        Assert.Equal([keptRun], await AllRunsAsync(Alice, kept.Id));
        Assert.False(await Store.DeleteSyncAsync(Alice, sync.Id));

        var (again, againRun) = NewSync(Alice, sync.CredentialId, at: T0.AddHours(1));
        Assert.Equal(sync.Id, again.Id);
        var (stored, created) = await Store.InsertSyncAsync(again, againRun);
        Assert.True(created);
        Assert.Equal(again, stored);
        Assert.NotEqual(sync.ETag, stored.ETag);
        Assert.NotEqual(sync.Incarnation, stored.Incarnation);
        Assert.Equal([againRun], await AllRunsAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task DeleteSync_OfAnotherScopeOrUnknown_ReturnsFalseAndKeepsIt()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);

        Assert.False(await Store.DeleteSyncAsync(Bob, sync.Id));
        Assert.False(await Store.DeleteSyncAsync(AliceInOtherProject, sync.Id));
        Assert.False(await Store.DeleteSyncAsync(Alice, Guid.NewGuid()));

        Assert.Equal(sync, (await Store.GetSyncAsync(Alice, sync.Id))?.Sync);
        Assert.Equal([initial], await AllRunsAsync(Alice, sync.Id));
    }

    // ================= ListRuns =================

    [Fact]
    public async Task ListRuns_PagesNewestFirstWithoutDuplicatesOrGaps()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice, at: T0);
        // 24 more runs, three per millisecond, so ties on created_at are ordered by id.
        var more = Enumerable.Range(0, 24)
            .Select(i => NewRun(sync.Id, T0.AddMilliseconds(1 + i / 3), (RunState)(1 + i % 5)))
            .ToArray();
        await Store.MutateSyncAsync(Alice, sync.Id, _ => new SyncChange<bool>(null, more, [], true));
        var (other, _) = await InsertNewSyncAsync(Alice, "other", T0.AddMilliseconds(5));
        var expected = more.Append(initial)
            .OrderByDescending(r => r.CreatedAt)
            .ThenByDescending(r => r.Id.ToString(), StringComparer.Ordinal)
            .ToArray();

        var pages = new List<IReadOnlyList<SyncRun>>();
        RunPosition? after = null;
        while (true)
        {
            var page = (await Store.ListRunsAsync(Alice, sync.Id, 7, after))!.Runs;
            if (page.Count == 0)
            {
                break;
            }
            pages.Add(page);
            after = new RunPosition(page[^1].CreatedAt, page[^1].Id);
            Assert.True(pages.Count <= 10, "pagination does not end");
        }

        Assert.Equal([7, 7, 7, 4], pages.Select(p => p.Count));
        Assert.Equal(expected, pages.SelectMany(p => p));
        Assert.DoesNotContain(pages.SelectMany(p => p), r => r.SyncId == other.Id);
    }

    [Fact]
    public async Task ListRuns_OfASyncOfAnotherScope_IsNull()
    {
        var (sync, _) = await InsertNewSyncAsync(Alice);

        Assert.Null(await Store.ListRunsAsync(Bob, sync.Id, 10, null));
        Assert.Null(await Store.ListRunsAsync(AliceInOtherProject, sync.Id, 10, null));
        Assert.Null(await Store.ListRunsAsync(Alice, Guid.NewGuid(), 10, null));
        Assert.Single((await Store.ListRunsAsync(Alice, sync.Id, 10, null))!.Runs);
    }

    [Fact]
    public async Task ListRuns_ReturnsTheIncarnationOfTheLifeItListed()
    {
        var (sync, _) = await InsertNewSyncAsync(Alice);
        var first = await Store.ListRunsAsync(Alice, sync.Id, 10, null);
        Assert.True(await Store.DeleteSyncAsync(Alice, sync.Id));
        var (again, againRun) = NewSync(Alice, sync.CredentialId, at: T0.AddHours(1));
        await Store.InsertSyncAsync(again, againRun);

        var second = await Store.ListRunsAsync(Alice, sync.Id, 10, null);

        Assert.Equal(sync.Incarnation, first!.Incarnation);
        Assert.Equal(again.Incarnation, second!.Incarnation);
        Assert.NotEqual(first.Incarnation, second.Incarnation);
        Assert.Equal([againRun], second.Runs);
    }

    [Fact]
    public async Task ListRuns_LimitBelowOne_IsRejected()
    {
        var (sync, _) = await InsertNewSyncAsync(Alice);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListRunsAsync(Alice, sync.Id, 0, null));
    }

    // ================= Credentials =================

    [Fact]
    public async Task InsertCredential_ThenGetCredential_RoundTripsEveryField()
    {
        var credential = NewCredential(Alice, "hubspot", T0) with { DisplayName = "Ünïcode 'name'", ProtectedSecret = "CfDJ8+/=" };

        await Store.InsertCredentialAsync(credential);

        var stored = await Store.GetCredentialAsync(Alice, credential.Id);
        Assert.Equal(credential, stored);
        Assert.Equal(TimeSpan.Zero, stored!.CreatedAt.Offset);
    }

    [Fact]
    public async Task InsertCredential_ExistingId_Throws()
    {
        var credential = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialAsync(credential);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Store.InsertCredentialAsync(credential with { DisplayName = "second" }));
        Assert.Equal(credential, await Store.GetCredentialAsync(Alice, credential.Id));
    }

    [Fact]
    public async Task GetCredential_OfAnotherScopeOrUnknown_IsNotFound()
    {
        var credential = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialAsync(credential);

        Assert.Null(await Store.GetCredentialAsync(Bob, credential.Id));
        Assert.Null(await Store.GetCredentialAsync(AliceInOtherProject, credential.Id));
        Assert.Null(await Store.GetCredentialAsync(Alice, Guid.NewGuid()));
    }

    [Fact]
    public async Task ListCredentials_ReturnsTheScopesLiveCredentialsOldestFirst_OptionallyOfOneIntegration()
    {
        var second = NewCredential(Alice, "salesforce", T0.AddMinutes(1));
        var first = NewCredential(Alice, "hubspot", T0);
        var third = NewCredential(Alice, "hubspot", T0.AddMinutes(2));
        var deleted = NewCredential(Alice, "hubspot", T0.AddMinutes(3));
        foreach (var credential in new[] { second, first, third, deleted, NewCredential(Bob, "hubspot", T0), NewCredential(AliceInOtherProject, "hubspot", T0) })
        {
            await Store.InsertCredentialAsync(credential);
        }
        Assert.True(await Store.DeleteCredentialAsync(Alice, deleted.Id, T0.AddMinutes(4), s => SyncChange<Sync>.Nothing(s.Sync)));

        Assert.Equal([first, second, third], await Store.ListCredentialsAsync(Alice, null));
        Assert.Equal([first, third], await Store.ListCredentialsAsync(Alice, "hubspot"));
        Assert.Empty(await Store.ListCredentialsAsync(Alice, "zendesk"));
    }

    [Fact]
    public async Task ListCredentials_WithEqualCreationTimes_OrdersById()
    {
        var credentials = Enumerable.Range(0, 6).Select(_ => NewCredential(Alice, "hubspot", T0)).ToArray();
        foreach (var credential in credentials)
        {
            await Store.InsertCredentialAsync(credential);
        }

        Assert.Equal(credentials.OrderBy(c => c.Id.ToString(), StringComparer.Ordinal), await Store.ListCredentialsAsync(Alice, null));
    }

    [Fact]
    public async Task DeleteCredential_SoftDeletesIt_AndASecondDeleteReturnsFalse()
    {
        var credential = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialAsync(credential);
        var calls = 0;

        Assert.True(await Store.DeleteCredentialAsync(Alice, credential.Id, T0.AddMinutes(1), s => { calls++; return SyncChange<Sync>.Nothing(s.Sync); }));
        Assert.False(await Store.DeleteCredentialAsync(Alice, credential.Id, T0.AddMinutes(2), s => { calls++; return SyncChange<Sync>.Nothing(s.Sync); }));

        Assert.Equal(0, calls);
        Assert.Null(await Store.GetCredentialAsync(Alice, credential.Id));
        Assert.Empty(await Store.ListCredentialsAsync(Alice, null));
        // Soft: the id stays taken.
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.InsertCredentialAsync(credential));
    }

    [Fact]
    public async Task DeleteCredential_OfAnotherScopeOrUnknown_ReturnsFalseAndKeepsIt()
    {
        var credential = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialAsync(credential);
        await InsertNewSyncAsync(Alice, "bound", T0, credential.Id);
        var calls = 0;
        SyncChange<Sync> OnBound(SyncSnapshot s)
        {
            calls++;
            return SyncChange<Sync>.Nothing(s.Sync);
        }

        Assert.False(await Store.DeleteCredentialAsync(Bob, credential.Id, T0, OnBound));
        Assert.False(await Store.DeleteCredentialAsync(AliceInOtherProject, credential.Id, T0, OnBound));
        Assert.False(await Store.DeleteCredentialAsync(Alice, Guid.NewGuid(), T0, OnBound));

        Assert.Equal(0, calls);
        Assert.Equal(credential, await Store.GetCredentialAsync(Alice, credential.Id));
    }

    [Fact]
    public async Task DeleteCredential_AppliesTheChangeToEveryBoundSyncOfTheScope_AndOnlyThose()
    {
        var credential = NewCredential(Alice, "hubspot", T0);
        var otherCredential = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialAsync(credential);
        await Store.InsertCredentialAsync(otherCredential);
        var (second, secondRun) = await InsertNewSyncAsync(Alice, "second", T0.AddSeconds(2), credential.Id);
        var (first, firstRun) = await InsertNewSyncAsync(Alice, "first", T0.AddSeconds(1), credential.Id);
        var (unbound, unboundRun) = await InsertNewSyncAsync(Alice, "unbound", T0, otherCredential.Id);
        // Another scope's Sync that refers to the credential: the store no longer binds across scopes, but a
        // database may hold such a row, and deleting Alice's credential must still leave Bob's Sync alone.
        var (foreign, foreignRun) = await InsertNewSyncAsync(Bob, "foreign", T0);
        await Database.SetCredentialIdUncheckedAsync(foreign.Id, credential.Id);
        foreign = foreign with { CredentialId = credential.Id };
        var running = NewRun(first.Id, T0.AddSeconds(3), RunState.Running);
        var done = NewRun(first.Id, T0.AddSeconds(4), RunState.Succeeded);
        await Store.MutateSyncAsync(Alice, first.Id, _ => new SyncChange<bool>(null, [running, done], [], true));
        var now = T0.AddMinutes(10);
        var visited = new List<SyncSnapshot>();

        var deleted = await Store.DeleteCredentialAsync(Alice, credential.Id, now, snapshot =>
        {
            visited.Add(snapshot);
            return SyncRules.CredentialDeleted(snapshot, credential.Id, now);
        });

        Assert.True(deleted);
        Assert.Equal([first.Id, second.Id], visited.Select(s => s.Sync.Id));
        Assert.Equal([firstRun, running], visited[0].OpenRuns);
        foreach (var (sync, runs) in new[] { (first, new[] { firstRun, running }), (second, new[] { secondRun }) })
        {
            var after = await Store.GetSyncAsync(Alice, sync.Id);
            Assert.NotNull(after);
            Assert.Equal(SyncStatus.Errored, after.Sync.Status);
            Assert.Equal(SyncRules.CredentialGoneReason(credential.Id), after.Sync.Reason);
            Assert.Equal(sync.Version + 1, after.Sync.Version);
            Assert.Equal(now, after.Sync.UpdatedAt);
            Assert.Empty(after.OpenRuns);
            var cancelled = (await AllRunsAsync(Alice, sync.Id)).Where(r => r.State == RunState.Cancelled).ToArray();
            Assert.Equal(runs.Select(r => r.Id).Order(), cancelled.Select(r => r.Id).Order());
            Assert.All(cancelled, r => Assert.Equal(now, r.FinishedAt));
        }
        Assert.Equal(RunState.Succeeded, (await AllRunsAsync(Alice, first.Id)).Single(r => r.Id == done.Id).State);
        Assert.Equal(unbound, (await Store.GetSyncAsync(Alice, unbound.Id))?.Sync);
        Assert.Equal([unboundRun], (await Store.GetSyncAsync(Alice, unbound.Id))?.OpenRuns);
        Assert.Equal(foreign, (await Store.GetSyncAsync(Bob, foreign.Id))?.Sync);
        Assert.Equal([foreignRun], (await Store.GetSyncAsync(Bob, foreign.Id))?.OpenRuns);
        Assert.Null(await Store.GetCredentialAsync(Alice, credential.Id));
        Assert.Equal(otherCredential, await Store.GetCredentialAsync(Alice, otherCredential.Id));
    }

    [Fact]
    public async Task DeleteCredential_ChangeOfABoundSyncThrows_WritesNothing()
    {
        var credential = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialAsync(credential);
        var (first, firstRun) = await InsertNewSyncAsync(Alice, "first", T0, credential.Id);
        var (second, _) = await InsertNewSyncAsync(Alice, "second", T0.AddSeconds(1), credential.Id);
        var thrown = new InvalidTimeZoneException("boom");

        var caught = await Assert.ThrowsAsync<InvalidTimeZoneException>(() =>
            Store.DeleteCredentialAsync(Alice, credential.Id, T0.AddMinutes(1), snapshot =>
                snapshot.Sync.Id == second.Id ? throw thrown : SyncRules.CredentialDeleted(snapshot, credential.Id, T0.AddMinutes(1))));

        Assert.Same(thrown, caught);
        Assert.Equal(credential, await Store.GetCredentialAsync(Alice, credential.Id));
        Assert.Equal(first, (await Store.GetSyncAsync(Alice, first.Id))?.Sync);
        Assert.Equal([firstRun], await AllRunsAsync(Alice, first.Id));
        Assert.Equal(second, (await Store.GetSyncAsync(Alice, second.Id))?.Sync);
    }

    // ================= Credential binding =================
    // A Sync may only be bound to a live (not deleted) credential of its own scope. The store checks it
    // inside the write, whenever a Sync is created or its binding changes.

    [Fact]
    public async Task InsertSync_BoundToAnUnknownCredential_IsNotFoundAndWritesNothing()
    {
        var unknown = Guid.NewGuid();
        var (sync, run) = NewSync(Alice, unknown);

        await AssertCredentialNotFoundAsync(unknown, () => Store.InsertSyncAsync(sync, run));

        await AssertNoSyncWrittenAsync(sync);
    }

    [Fact]
    public async Task InsertSync_BoundToADeletedCredential_IsNotFoundAndWritesNothing()
    {
        var deleted = await InsertDeletedCredentialAsync(Alice);
        var (sync, run) = NewSync(Alice, deleted.Id);

        await AssertCredentialNotFoundAsync(deleted.Id, () => Store.InsertSyncAsync(sync, run));

        await AssertNoSyncWrittenAsync(sync);
    }

    [Fact]
    public async Task InsertSync_BoundToACredentialOfAnotherScope_IsNotFoundAndWritesNothing()
    {
        Sync? sync = null;
        foreach (var owner in new[] { Bob, AliceInOtherProject })
        {
            var foreign = await InsertCredentialAsync(owner);
            (sync, var run) = NewSync(Alice, foreign.Id);

            await AssertCredentialNotFoundAsync(foreign.Id, () => Store.InsertSyncAsync(sync, run));

            Assert.Empty(await Store.ListSyncsAsync(owner, null));
            Assert.Equal(foreign, await Store.GetCredentialAsync(owner, foreign.Id));
        }

        await AssertNoSyncWrittenAsync(sync!);
    }

    [Fact]
    public async Task InsertSync_ExistingId_DoesNotCheckTheCredential()
    {
        var (sync, run) = await InsertNewSyncAsync(Alice);
        Assert.True(await Store.DeleteCredentialAsync(Alice, sync.CredentialId!.Value, T0.AddMinutes(1),
            s => SyncChange<Sync>.Nothing(s.Sync)));
        var foreign = await InsertCredentialAsync(Bob);

        // Enabling it again finds the Sync, whatever the credential named: deleted, unknown or another scope's.
        foreach (var credentialId in new[] { sync.CredentialId, Guid.NewGuid(), foreign.Id })
        {
            var (again, againRun) = NewSync(Alice, credentialId, at: T0.AddHours(1));
            var (stored, created) = await Store.InsertSyncAsync(again, againRun);

            Assert.False(created);
            Assert.Equal(sync, stored);
        }

        Assert.Equal([run], await AllRunsAsync(Alice, sync.Id));
    }

    [Fact]
    public async Task MutateSync_RebindingToAnUnknownDeletedOrForeignCredential_IsNotFoundAndWritesNothing()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var targets = new[]
        {
            Guid.NewGuid(),
            (await InsertDeletedCredentialAsync(Alice)).Id,
            (await InsertCredentialAsync(Bob)).Id,
            (await InsertCredentialAsync(AliceInOtherProject)).Id,
        };

        foreach (var target in targets)
        {
            // The domain's rebind also changes the frequency and queues a FULL run: none of it may be written.
            await AssertCredentialNotFoundAsync(target, () => Store.MutateSyncAsync(Alice, sync.Id, s =>
                SyncRules.Update(s, new UpdateSyncCommand(target, "1h", null), T0.AddMinutes(1))));

            var after = await Store.GetSyncAsync(Alice, sync.Id);
            Assert.NotNull(after);
            Assert.Equal(sync, after.Sync);
            Assert.Equal([initial], after.OpenRuns);
            Assert.Equal([initial], await AllRunsAsync(Alice, sync.Id));
        }

        // Nothing stays locked: the next change goes through.
        Assert.NotNull(await Store.MutateSyncAsync(Alice, sync.Id, s => Bump(s, T0.AddMinutes(2))));
        Assert.Equal(sync.Version + 1, (await Store.GetSyncAsync(Alice, sync.Id))?.Sync.Version);
    }

    [Fact]
    public async Task MutateSync_RebindingToALiveCredentialOfTheScopeOrToNone_IsAllowed()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var live = await InsertCredentialAsync(Alice);
        var now = T0.AddMinutes(1);

        var change = await Store.MutateSyncAsync(Alice, sync.Id, s => SyncRules.Update(s, new UpdateSyncCommand(live.Id, null, null), now));

        Assert.NotNull(change);
        var fullRun = change.Result.QueuedFullRun;
        Assert.NotNull(fullRun);
        var after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.NotNull(after);
        Assert.Equal(sync with { CredentialId = live.Id, Version = sync.Version + 1, UpdatedAt = now }, after.Sync);
        Assert.Equal([initial, fullRun], after.OpenRuns);

        // Only a binding to a credential is checked; dropping the binding is not.
        Assert.NotNull(await Store.MutateSyncAsync(Alice, sync.Id, s => Rebind(s, null, T0.AddMinutes(2))));
        Assert.Null((await Store.GetSyncAsync(Alice, sync.Id))?.Sync.CredentialId);
    }

    [Fact]
    public async Task MutateSync_KeepingItsCredential_IsAllowedEvenAfterTheCredentialWasDeleted()
    {
        var (sync, initial) = await InsertNewSyncAsync(Alice);
        var credentialId = sync.CredentialId!.Value;
        Assert.True(await Store.DeleteCredentialAsync(Alice, credentialId, T0.AddMinutes(1), s => SyncChange<Sync>.Nothing(s.Sync)));
        Assert.Null(await Store.GetCredentialAsync(Alice, credentialId));
        var now = T0.AddMinutes(2);

        // Naming the same credential changes no binding, so nothing is checked: the frequency change goes through.
        var change = await Store.MutateSyncAsync(Alice, sync.Id, s => SyncRules.Update(s, new UpdateSyncCommand(credentialId, "1h", null), now));

        Assert.NotNull(change);
        Assert.True(change.Result.Changed);
        Assert.Null(change.Result.QueuedFullRun);
        var after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.NotNull(after);
        Assert.Equal(credentialId, after.Sync.CredentialId);
        Assert.Equal("1h", after.Sync.Frequency);
        Assert.Equal(sync.Version + 1, after.Sync.Version);
        Assert.Equal([initial], await AllRunsAsync(Alice, sync.Id));

        // So does any other change that keeps the binding, e.g. disabling.
        Assert.NotNull(await Store.MutateSyncAsync(Alice, sync.Id, s => SyncRules.Disable(s, now.AddMinutes(1))));
        after = await Store.GetSyncAsync(Alice, sync.Id);
        Assert.Equal(SyncStatus.Disabled, after?.Sync.Status);
        Assert.Equal(credentialId, after?.Sync.CredentialId);
    }

    [Fact]
    public async Task DeleteCredential_ChangeRebindingABoundSyncToAnUnusableCredential_IsNotFoundAndWritesNothing()
    {
        var credential = await InsertCredentialAsync(Alice);
        var (sync, initial) = await InsertNewSyncAsync(Alice, "bound", T0, credential.Id);
        var targets = new[]
        {
            Guid.NewGuid(),
            (await InsertDeletedCredentialAsync(Alice)).Id,
            (await InsertCredentialAsync(Bob)).Id,
        };

        foreach (var target in targets)
        {
            await AssertCredentialNotFoundAsync(target, () => Store.DeleteCredentialAsync(Alice, credential.Id, T0.AddMinutes(1), s =>
                Rebind(s, target, T0.AddMinutes(1))));

            Assert.Equal(credential, await Store.GetCredentialAsync(Alice, credential.Id));
            Assert.Equal(sync, (await Store.GetSyncAsync(Alice, sync.Id))?.Sync);
            Assert.Equal([initial], await AllRunsAsync(Alice, sync.Id));
        }

        // Moving the Sync to a live credential of the scope instead is allowed.
        var fallback = await InsertCredentialAsync(Alice);
        Assert.True(await Store.DeleteCredentialAsync(Alice, credential.Id, T0.AddMinutes(2), s => Rebind(s, fallback.Id, T0.AddMinutes(2))));
        Assert.Null(await Store.GetCredentialAsync(Alice, credential.Id));
        Assert.Equal(fallback.Id, (await Store.GetSyncAsync(Alice, sync.Id))?.Sync.CredentialId);
    }

    [Fact]
    public async Task MutateSync_RebindRacingTheDeletionOfTheNewCredential_NeverLeavesTheSyncBoundToItUnnoticed()
    {
        // Either the rebind fails (the credential is already gone), or it commits first and the deletion
        // then finds the Sync bound to the credential and errors it. Never: bound to a deleted credential, untouched.
        const int rounds = 20;
        var deleter = Database.OpenStore(); // another instance: another process or replica
        for (var round = 0; round < rounds; round++)
        {
            var (sync, initial) = await InsertNewSyncAsync(Alice, $"race-{round}");
            var target = await InsertCredentialAsync(Alice);
            var now = T0.AddMinutes(1);
            var visited = new List<SyncSnapshot>(); // written by the deleting thread only, read after both ended
            // Vary who gets ahead, so that both orders (and the interleavings between them) occur.
            var (rebindWaits, deleteWaits) = (round % 3 == 0, round % 3 == 2);

            var errors = await RunTogetherAsync(2, async i =>
            {
                if (i == 0)
                {
                    try
                    {
                        await Store.MutateSyncAsync(Alice, sync.Id, s =>
                        {
                            if (rebindWaits)
                            {
                                Thread.Sleep(1); // after reading the Sync, before writing it
                            }
                            return SyncRules.Update(s, new UpdateSyncCommand(target.Id, null, null), now);
                        });
                        return null;
                    }
                    catch (DomainException e)
                    {
                        return e;
                    }
                }
                if (deleteWaits)
                {
                    Thread.Sleep(1);
                }
                var deleted = await deleter.DeleteCredentialAsync(Alice, target.Id, now, s =>
                {
                    visited.Add(s);
                    return SyncRules.CredentialDeleted(s, target.Id, now);
                });
                Assert.True(deleted);
                return (DomainException?)null;
            });

            var rebindError = errors[0];
            var after = await Store.GetSyncAsync(Alice, sync.Id);
            Assert.NotNull(after);
            var runs = await AllRunsAsync(Alice, sync.Id);
            Assert.Null(await Store.GetCredentialAsync(Alice, target.Id));
            if (rebindError is not null)
            {
                // The deletion came first: the rebind wrote nothing.
                Assert.Equal(ErrorKind.NotFound, rebindError.Kind);
                Assert.Equal("CREDENTIAL_NOT_FOUND", rebindError.Reason);
                Assert.Empty(visited);
                Assert.Equal(sync, after.Sync);
                Assert.Equal([initial], runs);
            }
            else
            {
                // The rebind came first: the deletion saw the new binding and errored the Sync.
                Assert.Equal(target.Id, after.Sync.CredentialId);
                Assert.True(visited.Count == 1 && after.Sync.Status == SyncStatus.Errored,
                    $"Round {round}: the Sync was rebound to credential {target.Id}, which is deleted, but the deletion " +
                    $"did not see the binding (visited {visited.Count} Syncs; status {after.Sync.Status}).");
                var seen = Assert.Single(visited);
                Assert.Equal(sync.Id, seen.Sync.Id);
                Assert.Equal(target.Id, seen.Sync.CredentialId);
                Assert.Equal(SyncStatus.Errored, after.Sync.Status);
                Assert.Equal(SyncRules.CredentialGoneReason(target.Id), after.Sync.Reason);
                Assert.Equal(sync.Version + 2, after.Sync.Version);
                Assert.Empty(after.OpenRuns);
                Assert.Equal(2, runs.Count); // the initial run and the rebind's FULL run, both cancelled
                Assert.All(runs, r => Assert.Equal(RunState.Cancelled, r.State));
            }
        }
    }

    // ================= Helpers =================

    /// <summary>
    /// Starts the operations at the same moment, each on a thread of its own. (Task.Run from a test
    /// may queue them all on the test's own pool thread, and a store that completes synchronously,
    /// like SQLite, would then run them one after another and prove nothing.)
    /// </summary>
    protected static async Task<T[]> RunTogetherAsync<T>(int count, Func<int, Task<T>> operation)
    {
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, count)
            .Select(i => Task.Factory.StartNew(async () =>
            {
                start.Wait();
                return await operation(i);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())
            .ToArray();
        start.Set();
        return await Task.WhenAll(tasks);
    }

    /// <summary>
    /// A new Sync as the domain enables it (INITIALIZING, initial run queued), bound to
    /// <paramref name="credentialId"/> (null: bound to none). The store creates it only if that is a live
    /// credential of the scope: see <see cref="NewBoundSyncAsync"/> and <see cref="InsertCredentialAsync"/>.
    /// </summary>
    protected static (Sync Sync, SyncRun InitialRun) NewSync(Scope scope, Guid? credentialId, string name = "default",
        DateTimeOffset? at = null)
    {
        var (sync, run) = SyncRules.Enable(scope, "hubspot", "contacts", name, """{"region":"eu"}""", credentialId ?? Guid.Empty,
            null, at ?? T0);
        return (sync with { CredentialId = credentialId }, run);
    }

    /// <summary>
    /// <see cref="NewSync"/> bound to a new credential of the scope, which is inserted first (into
    /// <paramref name="store"/>, by default this test's store); the Sync itself is not inserted.
    /// </summary>
    protected async Task<(Sync Sync, SyncRun InitialRun)> NewBoundSyncAsync(Scope scope, string name = "default",
        DateTimeOffset? at = null, ISyncStore? store = null)
    {
        var credential = await InsertCredentialAsync(scope, at, store);
        return NewSync(scope, credential.Id, name, at);
    }

    /// <summary>
    /// Inserts a new Sync, bound to <paramref name="credentialId"/> or, when that is null, to a new
    /// credential of the scope inserted first.
    /// </summary>
    protected async Task<(Sync Sync, SyncRun InitialRun)> InsertNewSyncAsync(Scope scope, string name = "default",
        DateTimeOffset? at = null, Guid? credentialId = null)
    {
        var (sync, run) = credentialId is { } id ? NewSync(scope, id, name, at) : await NewBoundSyncAsync(scope, name, at);
        var (stored, created) = await Store.InsertSyncAsync(sync, run);
        Assert.True(created);
        return (stored, run);
    }

    /// <summary>A new live credential of the scope, inserted into <paramref name="store"/> (by default this test's store).</summary>
    protected async Task<Credential> InsertCredentialAsync(Scope scope, DateTimeOffset? at = null, ISyncStore? store = null)
    {
        var credential = NewCredential(scope, "hubspot", at ?? T0);
        await (store ?? Store).InsertCredentialAsync(credential);
        return credential;
    }

    /// <summary>A credential of the scope that was inserted and then deleted (bound to no Sync).</summary>
    protected async Task<Credential> InsertDeletedCredentialAsync(Scope scope)
    {
        var credential = await InsertCredentialAsync(scope);
        Assert.True(await Store.DeleteCredentialAsync(scope, credential.Id, T0.AddSeconds(1), s => SyncChange<Sync>.Nothing(s.Sync)));
        return credential;
    }

    protected static SyncRun NewRun(Guid syncId, DateTimeOffset createdAt, RunState state,
        RunType type = RunType.Incremental, RunTrigger trigger = RunTrigger.Schedule) => new()
    {
        Id = Guid.NewGuid(),
        SyncId = syncId,
        Type = type,
        Trigger = trigger,
        State = state,
        CreatedAt = createdAt,
        DueAt = createdAt,
        StartedAt = state == RunState.Queued ? null : createdAt.AddSeconds(1),
        FinishedAt = state is RunState.Queued or RunState.Running ? null : createdAt.AddSeconds(2),
        Attempt = state == RunState.Queued ? 0 : 1,
        Error = state == RunState.Failed ? "upstream said no" : null,
    };

    protected static Credential NewCredential(Scope scope, string integration, DateTimeOffset createdAt) => new()
    {
        Id = Guid.NewGuid(),
        ProjectId = scope.ProjectId,
        UserId = scope.UserId,
        Integration = integration,
        DisplayName = $"{integration} account",
        ProtectedSecret = "protected:" + Guid.NewGuid().ToString("N"),
        CreatedAt = createdAt,
    };

    /// <summary>Asserts that the write fails as the store reports a credential that may not be bound.</summary>
    private static async Task AssertCredentialNotFoundAsync(Guid credentialId, Func<Task> write)
    {
        var error = await Assert.ThrowsAsync<DomainException>(write);
        Assert.Equal(ErrorKind.NotFound, error.Kind);
        Assert.Equal("CREDENTIAL_NOT_FOUND", error.Reason);
        Assert.Contains(credentialId.ToString(), error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Asserts that the Sync (made by <see cref="NewSync"/>) was not written, nor any run of it: once bound
    /// to a live credential it is created, with its own initial run only.
    /// </summary>
    private async Task AssertNoSyncWrittenAsync(Sync sync)
    {
        Assert.Null(await Store.GetSyncAsync(sync.Scope, sync.Id));
        Assert.Empty(await Store.ListSyncsAsync(sync.Scope, null));
        var (bound, run) = await NewBoundSyncAsync(sync.Scope, sync.ConfigurationName, T0.AddMinutes(5));
        Assert.Equal(sync.Id, bound.Id);
        var (stored, created) = await Store.InsertSyncAsync(bound, run);
        Assert.True(created);
        Assert.Equal(bound, stored);
        Assert.Equal([run], await AllRunsAsync(sync.Scope, sync.Id));
    }

    /// <summary>Binds the Sync to <paramref name="credentialId"/> and changes nothing else (no run queued).</summary>
    private static SyncChange<Sync> Rebind(SyncSnapshot snapshot, Guid? credentialId, DateTimeOffset now)
    {
        var next = snapshot.Sync with { CredentialId = credentialId, Version = snapshot.Sync.Version + 1, UpdatedAt = now };
        return new SyncChange<Sync>(next, [], [], next);
    }

    private static SyncChange<bool> Bump(SyncSnapshot snapshot, DateTimeOffset now) =>
        new(snapshot.Sync with { Version = snapshot.Sync.Version + 1, UpdatedAt = now }, [], [], true);

    /// <summary>Every run of the Sync, newest first.</summary>
    protected async Task<IReadOnlyList<SyncRun>> AllRunsAsync(Scope scope, Guid syncId) =>
        (await Store.ListRunsAsync(scope, syncId, 1000, null))?.Runs ?? [];
}
