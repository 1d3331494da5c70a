using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>Syncs inserted, read, listed and deleted; their runs listed.</summary>
public abstract partial class SyncStoreContract
{
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

    // ================= DeleteSync =================

    [Fact]
    public async Task DeleteSync_RemovesTheSyncAndItsRuns_AndTheIdCanBeEnabledAgain()
    {
        var (sync, _) = await InsertNewSyncAsync(Alice);
        await Store.MutateSyncAsync(Alice, sync.Id, s =>
            new SyncChange<bool>(null, [NewRun(sync.Id, T0.AddSeconds(1), RunState.Succeeded)], [], true));
        var (kept, keptRun) = await InsertNewSyncAsync(Alice, "kept");

        Assert.True(await Store.DeleteSyncAsync(Alice, sync.Id, T0));

        Assert.Null(await Store.GetSyncAsync(Alice, sync.Id));
        Assert.Null(await Store.ListRunsAsync(Alice, sync.Id, 100, null));
        Assert.Equal([kept], await Store.ListSyncsAsync(Alice, null));
        Assert.Equal([keptRun], await AllRunsAsync(Alice, kept.Id));
        Assert.False(await Store.DeleteSyncAsync(Alice, sync.Id, T0));

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

        Assert.False(await Store.DeleteSyncAsync(Bob, sync.Id, T0));
        Assert.False(await Store.DeleteSyncAsync(AliceInOtherProject, sync.Id, T0));
        Assert.False(await Store.DeleteSyncAsync(Alice, Guid.NewGuid(), T0));

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
        Assert.True(await Store.DeleteSyncAsync(Alice, sync.Id, T0));
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
}
