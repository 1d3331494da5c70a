using GrpcSync.Domain;
using GrpcSync.Storage.Relational;

namespace GrpcSync.Storage.Tests;

/// <summary>OAuth refresh coordination on the credential row, and deletions reported by an incremental page.</summary>
public abstract partial class EngineStoreContract
{
    private ICredentialTokenStore Tokens => (RelationalSyncStore)Engine;

    // ================= Deletions of incremental pages =================

    [Fact]
    public async Task WriteRecordPage_Deletions_TombstoneLiveRecordsAtOnceAndSkipUnknownIds()
    {
        var (sync, _) = await InsertSyncAsync(Alice);
        var initial = await StartRunAsync(sync.Id, T0.AddSeconds(1));
        await Engine.WriteRecordPageAsync(Page(initial, Upserts(sync.Id, "a", "b", "c"), T0.AddSeconds(2)));
        await FinishAsync(initial, T0.AddSeconds(3));
        var incremental = await StartTriggeredRunAsync(sync.Id, RunType.Incremental, T0.AddSeconds(4));
        var t = T0.AddSeconds(5);

        var result = await Engine.WriteRecordPageAsync(Page(incremental, [Upsert(sync.Id, "c", "v2")], t, sourceCursor: "feed-2")
            with { Deletions = ["a", "never-synced", "a"] });
        var again = await Engine.WriteRecordPageAsync(Page(incremental, [], t.AddSeconds(1)) with { Deletions = ["a"] });

        Assert.Equal(new RecordPageResult(false, 0, 1, 1), result);
        Assert.Equal(new RecordPageResult(false, 0, 0, 0), again); // a tombstone stays one
        var records = await AllRecordsAsync(sync.Id);
        Assert.Equal([("b", false, 2L), ("c", false, 4L), ("a", true, 5L)], records.Select(r => (r.ExternalId, r.Deleted, r.Sequence)));
        var events = (await ((IEventStore)Engine).ListSyncEventsAsync(Alice, sync.Id, 0, 100))!.Events;
        Assert.Equal([EventTypes.RecordUpdated, EventTypes.RecordDeleted], events.Where(e => e.Type.StartsWith("record_", StringComparison.Ordinal)).Select(e => e.Type));
        Assert.Equal(2, (await Store.GetSyncAsync(Alice, sync.Id))!.Sync.SyncedRecordsCount);
    }

    // ================= OAuth refresh lease, compare-and-swap, invalidation =================

    [Fact]
    public async Task RefreshLease_OneHolderAtATime_TakenOverOnlyAfterItExpires()
    {
        var credential = NewCredential(Alice, T0);
        await Store.InsertCredentialAsync(credential);
        var other = Database.OpenStore(); // another replica on the same database

        Assert.True(await Tokens.TryTakeRefreshLeaseAsync(credential.Id, "replica-a", T0, T0.AddSeconds(30)));
        Assert.False(await ((ICredentialTokenStore)other).TryTakeRefreshLeaseAsync(credential.Id, "replica-b", T0.AddSeconds(29), T0.AddSeconds(59)));
        Assert.True(await ((ICredentialTokenStore)other).TryTakeRefreshLeaseAsync(credential.Id, "replica-b", T0.AddSeconds(30), T0.AddSeconds(60)));
        await Tokens.ReleaseRefreshLeaseAsync(credential.Id, "replica-a"); // no longer a's: untouched
        Assert.False(await Tokens.TryTakeRefreshLeaseAsync(credential.Id, "replica-a", T0.AddSeconds(31), T0.AddSeconds(61)));
    }

    [Fact]
    public async Task ReplaceSecret_IsACompareAndSwapOnTheVersionAndReleasesTheWritersLease()
    {
        var credential = NewCredential(Alice, T0);
        await Store.InsertCredentialAsync(credential);
        Assert.True(await Tokens.TryTakeRefreshLeaseAsync(credential.Id, "replica-a", T0, T0.AddSeconds(30)));

        Assert.True(await Tokens.ReplaceSecretAsync(credential.Id, 0, "protected:rotated", "replica-a"));
        Assert.False(await Tokens.ReplaceSecretAsync(credential.Id, 0, "protected:stale", null));

        var stored = await Engine.GetCredentialAsync(credential.Id);
        Assert.Equal("protected:rotated", stored!.ProtectedSecret);
        Assert.Equal(1, stored.SecretVersion);
        Assert.True(await Tokens.TryTakeRefreshLeaseAsync(credential.Id, "replica-b", T0.AddSeconds(1), T0.AddSeconds(31))); // released
    }

    [Fact]
    public async Task InvalidateCredential_ErrorsEveryBoundSyncWithTheRejectedReason_UnlessTheSecretMovedOn()
    {
        var credential = NewCredential(Alice, T0);
        await Store.InsertCredentialAsync(credential);
        var (first, firstRun) = NewSync(Alice, "first", credential.Id, T0);
        var (second, secondRun) = NewSync(Alice, "second", credential.Id, T0);
        await Store.InsertSyncAsync(first, firstRun);
        await Store.InsertSyncAsync(second, secondRun);
        var (unrelated, _) = await InsertSyncAsync(Alice, "unrelated");
        var running = await StartRunAsync(first.Id, T0.AddSeconds(1));
        var now = T0.AddSeconds(2);

        Assert.Null(await Tokens.InvalidateCredentialAsync(credential.Id, expectedVersion: 7, now, s => SyncRules.CredentialRejected(s, now)));
        var errored = await Tokens.InvalidateCredentialAsync(credential.Id, expectedVersion: 0, now, s => SyncRules.CredentialRejected(s, now));

        Assert.Equal(2, errored);
        Assert.Equal(now, (await Engine.GetCredentialAsync(credential.Id))!.InvalidAt);
        foreach (var id in new[] { first.Id, second.Id })
        {
            var snapshot = (await Store.GetSyncAsync(Alice, id))!;
            Assert.Equal(SyncStatus.Errored, snapshot.Sync.Status);
            Assert.Equal(SyncRules.CredentialRejectedReason, snapshot.Sync.Reason);
            Assert.Empty(snapshot.OpenRuns);
            var events = (await ((IEventStore)Engine).ListSyncEventsAsync(Alice, id, 0, 100))!.Events;
            Assert.Contains(events, e => e.Type == EventTypes.SyncErrored && e.DataJson.Contains("CREDENTIAL_REJECTED", StringComparison.Ordinal));
        }
        Assert.NotEqual(SyncStatus.Errored, (await Store.GetSyncAsync(Alice, unrelated.Id))!.Sync.Status);
        Assert.False(await Engine.RenewLeaseAsync(running.SyncId, running.Id, running.Attempt, now.AddSeconds(30))); // its worker stops
        Assert.False(await Tokens.TryTakeRefreshLeaseAsync(credential.Id, "replica-a", now, now.AddSeconds(30))); // invalid: no refresh
    }
}
