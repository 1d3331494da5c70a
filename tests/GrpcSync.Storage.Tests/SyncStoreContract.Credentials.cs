using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>Credentials inserted, read, listed and deleted (erroring the Syncs bound to them).</summary>
public abstract partial class SyncStoreContract
{
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
}
