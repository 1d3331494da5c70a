using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>Syncs counted by status (the <c>grpcsync.syncs</c> gauge's query).</summary>
public abstract partial class SyncStoreContract
{
    private ISyncStatusCounts Counts => Assert.IsAssignableFrom<ISyncStatusCounts>(Store);

    [Fact]
    public async Task CountSyncsByStatus_OnAnEmptyStore_ReportsEveryStatusAsZero()
    {
        var counts = await Counts.CountSyncsByStatusAsync();

        Assert.Equal(Enum.GetValues<SyncStatus>().Order(), counts.Keys.Order());
        Assert.All(counts.Values, count => Assert.Equal(0, count));
    }

    [Fact]
    public async Task CountSyncsByStatus_CountsEveryScopeAndLeavesDeletedSyncsOut()
    {
        var statuses = new[] { SyncStatus.Idle, SyncStatus.Idle, SyncStatus.Errored, SyncStatus.Initializing, SyncStatus.Disabled };
        var scopes = new[] { Alice, Bob, AliceInOtherProject, Alice, Bob };
        for (var i = 0; i < statuses.Length; i++)
        {
            var (sync, run) = await NewBoundSyncAsync(scopes[i], name: "sync-" + i);
            await Store.InsertSyncAsync(sync with { Status = statuses[i] }, run);
        }
        var (gone, goneRun) = await NewBoundSyncAsync(Alice, name: "deleted");
        await Store.InsertSyncAsync(gone with { Status = SyncStatus.Idle }, goneRun);
        Assert.True(await Store.DeleteSyncAsync(Alice, gone.Id, T0));

        var counts = await Counts.CountSyncsByStatusAsync();

        Assert.Equal(2, counts[SyncStatus.Idle]);
        Assert.Equal(1, counts[SyncStatus.Errored]);
        Assert.Equal(1, counts[SyncStatus.Initializing]);
        Assert.Equal(1, counts[SyncStatus.Disabled]);
        Assert.Equal(0, counts[SyncStatus.Active]);
        Assert.Equal(0, counts[SyncStatus.RateLimited]);
    }
}
