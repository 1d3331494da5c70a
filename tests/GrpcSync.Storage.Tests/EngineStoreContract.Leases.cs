using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>Leases, and the engine's access by id across scopes.</summary>
public abstract partial class EngineStoreContract
{
    // ================= Leases and the engine's unscoped access =================

    [Fact]
    public async Task RenewLease_OfAQueuedCancelledOrUnknownRun_IsRefused()
    {
        var (sync, initial) = await InsertSyncAsync(Alice);
        Assert.False(await Engine.RenewLeaseAsync(initial.SyncId, initial.Id, 0, T0.AddMinutes(1))); // queued
        var run = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.MutateSyncAsync(sync.Id, s => RunRules.Cancel(s, run.Id, T0.AddSeconds(2)));

        Assert.False(await Engine.RenewLeaseAsync(run.SyncId, run.Id, run.Attempt, T0.AddMinutes(1)));
        Assert.False(await Engine.RenewLeaseAsync(run.SyncId, Guid.NewGuid(), 1, T0.AddMinutes(1)));
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
}
