using GrpcSync.Domain;
using GrpcSync.Engine.Configuration;
using GrpcSync.Engine.Tests.Infrastructure;

namespace GrpcSync.Engine.Tests;

public abstract class ShutdownTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : ShutdownTests(TestStore.Sqlite);

    public sealed class OnPostgres() : ShutdownTests(TestStore.Postgres);

    private async Task<(Sync Sync, Gate Gate)> StartBlockedInitialRunAsync()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        var gate = new Gate();
        H.Fake.ThenBlock(gate);
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();
        return (sync, gate);
    }

    [Fact]
    public async Task Shutdown_releases_a_run_still_working_at_the_shutdown_timeout_so_it_is_queued_again_due_now()
    {
        var (sync, gate) = await StartBlockedInitialRunAsync();
        var stopAt = H.Now + H.Options.ShutdownTimeout;

        var stopping = H.Engine.StopAsync(CancellationToken.None);

        H.Time.Advance(H.Options.ShutdownTimeout - TimeSpan.FromMilliseconds(1));
        await Task.Delay(100);
        Assert.False(stopping.IsCompleted, "Shutdown did not wait for the in-flight run.");
        Assert.False(gate.SawCancellation);

        H.Time.Advance(TimeSpan.FromMilliseconds(1));
        await stopping.WaitAsync(Timeout);

        Assert.True(gate.SawCancellation);
        Assert.Equal(0, H.Engine.InFlightCount);
        var state = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Initializing, state.Sync.Status); // never completed a run yet
        var released = Assert.Single(state.OpenRuns);
        Assert.Equal(RunState.Queued, released.State);
        Assert.Equal(stopAt, released.DueAt);
        Assert.Equal(H.Now, released.DueAt);
        Assert.Null(released.LeaseOwner);
        Assert.Null(released.LeaseExpiresAt);
        Assert.Equal(0, released.Retries); // a release is not a failure
        Assert.Equal(0, await H.Engine.DispatchOnceAsync()); // a stopped engine claims nothing

        // The next process picks the run up at once, not after a lease expiry.
        var restarted = H.NewEngine(new EngineOptions { WorkerId = "restarted-worker" });
        Assert.Equal(1, await H.RunDueAsync(restarted));
        var done = Assert.Single(await H.RunsAsync(sync.Id));
        Assert.Equal((RunState.Succeeded, 2), (done.State, done.Attempt));
        Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
    }

    [Fact]
    public async Task Shutdown_lets_a_run_that_ends_within_the_timeout_finish_normally()
    {
        var (sync, gate) = await StartBlockedInitialRunAsync();

        var stopping = H.Engine.StopAsync(CancellationToken.None);
        Assert.False(stopping.IsCompleted);
        Assert.Equal(0, await H.Engine.DispatchOnceAsync()); // no new claims while stopping
        gate.Release();
        await stopping.WaitAsync(Timeout);

        Assert.False(gate.SawCancellation);
        var run = Assert.Single(await H.RunsAsync(sync.Id));
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
    }

    [Fact]
    public async Task A_cancelled_host_stop_token_cancels_in_flight_runs_at_once_and_they_release_their_runs()
    {
        var (sync, gate) = await StartBlockedInitialRunAsync();

        // The host is out of time: StopAsync returns without waiting; the workers release right after.
        await H.Engine.StopAsync(new CancellationToken(canceled: true)).WaitAsync(Timeout);
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        Assert.True(gate.SawCancellation);
        Assert.Equal(EngineHarness.Start, H.Now);
        var released = Assert.Single((await H.SnapshotAsync(sync.Id)).OpenRuns);
        Assert.Equal((RunState.Queued, H.Now), (released.State, released.DueAt));
    }
}
