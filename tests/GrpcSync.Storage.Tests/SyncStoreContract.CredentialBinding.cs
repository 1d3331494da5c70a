using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>A Sync is only ever bound to a live credential of its own scope.</summary>
public abstract partial class SyncStoreContract
{
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
}
