using GrpcSync.Domain;
using GrpcSync.Connectors;
using GrpcSync.Engine.Tests.Infrastructure;

namespace GrpcSync.Engine.Tests;

public abstract class FailureTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : FailureTests(TestStore.Sqlite);

    public sealed class OnPostgres() : FailureTests(TestStore.Postgres);

    private async Task<Sync> IdleFakeSyncAsync()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        await H.RunDueAsync();
        return await H.SyncAsync(sync.Id);
    }

    public static TheoryData<string> TransientFailures => ["transient source error", "I/O error", "timeout", "unexpected error"];

    private static Exception Failure(string kind) => kind switch
    {
        "transient source error" => new TransientSourceException("connection reset"),
        "I/O error" => new IOException("connection reset"),
        "timeout" => new TimeoutException("connection reset"),
        _ => new InvalidOperationException("connection reset"),
    };

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public async Task A_transient_failure_is_queued_again_with_backoff_and_then_succeeds(string kind)
    {
        var sync = await IdleFakeSyncAsync();
        H.AdvanceTo(sync.NextRunAt!.Value);
        H.Fake.ThenThrow(Failure(kind));

        Assert.Equal(1, await H.RunDueAsync());

        var state = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, state.Sync.Status); // retries are quiet: no error status
        var retry = Assert.Single(state.OpenRuns);
        Assert.Equal(RunState.Queued, retry.State);
        Assert.Equal(1, retry.Retries);
        Assert.Equal(1, retry.Attempt);
        Assert.Contains("connection reset", retry.Error, StringComparison.Ordinal);
        Assert.Null(retry.LeaseOwner);
        Assert.Null(retry.LeaseExpiresAt);
        // The first retry waits the base delay (5 s by default) times a jitter factor in [0.5, 1.5):
        // literal bounds, not RunRules.Backoff itself, so a constant or a missing backoff fails here.
        Assert.InRange(retry.DueAt - H.Now, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(7.5));

        Assert.Equal(0, await H.RunDueAsync()); // not before the backoff
        H.AdvanceTo(retry.DueAt);
        Assert.Equal(1, await H.RunDueAsync());

        var done = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal(retry.Id, done.Id);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal(2, done.Attempt);
        Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
    }

    [Fact]
    public async Task A_run_that_exhausts_its_retries_fails_and_the_sync_returns_to_idle_and_keeps_its_schedule()
    {
        H.Options.MaxRetries = 2;
        var sync = await IdleFakeSyncAsync();
        H.AdvanceTo(sync.NextRunAt!.Value);
        for (var i = 0; i < 3; i++)
        {
            H.Fake.ThenThrow(new TransientSourceException($"failure {i + 1}"));
        }

        Assert.Equal(1, await H.RunDueAsync());
        for (var retry = 1; retry <= 2; retry++)
        {
            var queued = Assert.Single((await H.SnapshotAsync(sync.Id)).OpenRuns);
            Assert.Equal(retry, queued.Retries);
            // 5 s × 2^(retry-1) × [0.5, 1.5): 2.5–7.5 s, then 5–15 s.
            var nominal = TimeSpan.FromSeconds(5 * Math.Pow(2, retry - 1));
            Assert.InRange(queued.DueAt - H.Now, nominal * 0.5, nominal * 1.5);
            H.AdvanceTo(queued.DueAt);
            Assert.Equal(1, await H.RunDueAsync());
        }

        var failed = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal(RunState.Failed, failed.State);
        Assert.Equal(2, failed.Retries);
        Assert.Equal(3, failed.Attempt);
        Assert.Equal("failure 3", failed.Error);
        Assert.Equal(H.Now, failed.FinishedAt);
        var state = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, state.Sync.Status);
        Assert.Null(state.Sync.Reason);
        Assert.Empty(state.OpenRuns);

        // The schedule goes on: the next tick runs (and succeeds) as usual.
        H.AdvanceTo(state.Sync.NextRunAt!.Value);
        Assert.Equal(1, await H.RunDueAsync());
        Assert.Equal(RunState.Succeeded, (await H.RunsAsync(sync.Id))[^1].State);
    }

    [Fact]
    public async Task Backoff_doubles_with_each_retry_up_to_the_cap_with_jitter_between_half_and_one_and_a_half_times()
    {
        H.Options.MaxRetries = 12;
        H.Options.RetryBaseDelay = TimeSpan.FromSeconds(1);
        H.Options.RetryMaxDelay = TimeSpan.FromSeconds(60);
        var sync = await IdleFakeSyncAsync();
        H.AdvanceTo(sync.NextRunAt!.Value);
        var delays = new List<TimeSpan>();
        for (var retry = 1; retry <= 10; retry++)
        {
            H.Fake.ThenThrow(new TransientSourceException($"failure {retry}"));
            Assert.Equal(1, await H.RunDueAsync());
            var queued = Assert.Single((await H.SnapshotAsync(sync.Id)).OpenRuns);
            Assert.Equal(retry, queued.Retries);
            delays.Add(queued.DueAt - H.Now);
            H.AdvanceTo(queued.DueAt);
        }

        // 1 s, 2 s, 4 s, 8 s, 16 s, 32 s, then the 60 s cap; each times a factor in [0.5, 1.5).
        double[] nominalSeconds = [1, 2, 4, 8, 16, 32, 60, 60, 60, 60];
        for (var i = 0; i < delays.Count; i++)
        {
            Assert.InRange(delays[i].TotalSeconds, nominalSeconds[i] * 0.5 - 0.001, nominalSeconds[i] * 1.5);
        }
        // Jitter: the capped delays are not all the same (a plain cap would give 60 s four times).
        Assert.True(delays.Skip(6).Distinct().Count() > 1, "Capped retries all waited " + delays[^1] + ": no jitter.");
    }

    [Fact]
    public async Task Runs_failing_at_the_same_moment_retry_at_different_times_spread_by_the_jitter()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var syncs = new List<Sync>();
        for (var i = 0; i < 12; i++)
        {
            syncs.Add(await H.EnableAsync(credential, configurationName: "s" + i));
            H.Fake.ThenThrow(new TransientSourceException("connection reset"));
        }

        Assert.Equal(12, await H.RunDueAsync());

        var delays = new List<TimeSpan>();
        foreach (var sync in syncs)
        {
            var queued = Assert.Single((await H.SnapshotAsync(sync.Id)).OpenRuns);
            Assert.Equal(1, queued.Retries);
            delays.Add(queued.DueAt - H.Now);
        }
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(7.5)));
        Assert.True(delays.Distinct().Count() >= 10, "Retries of different runs should not line up: " + string.Join(", ", delays));
        Assert.True(delays.Max() - delays.Min() > TimeSpan.FromSeconds(1), "The retries are not spread: " + string.Join(", ", delays));
    }

    [Fact]
    public async Task A_rate_limited_run_shows_rate_limited_with_the_backoff_and_resumes_by_itself_afterwards()
    {
        var sync = await IdleFakeSyncAsync();
        H.AdvanceTo(sync.NextRunAt!.Value);
        H.Fake.ThenThrow(new RateLimitedSourceException(TimeSpan.FromSeconds(30), "HTTP 429 from the source"));

        Assert.Equal(1, await H.RunDueAsync());

        var limited = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.RateLimited, limited.Sync.Status);
        Assert.Equal(30_000, limited.Sync.RateLimitBackoffMs);
        var waiting = Assert.Single(limited.OpenRuns);
        Assert.Equal(RunState.Queued, waiting.State);
        Assert.Equal(H.Now + TimeSpan.FromSeconds(30), waiting.DueAt);
        Assert.Equal("HTTP 429 from the source", waiting.Error);

        H.AdvanceTo(waiting.DueAt - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await H.RunDueAsync());
        Assert.Equal(SyncStatus.RateLimited, (await H.SyncAsync(sync.Id)).Status);

        H.AdvanceTo(waiting.DueAt);
        Assert.Equal(1, await H.RunDueAsync());

        var resumed = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, resumed.Sync.Status);
        Assert.Null(resumed.Sync.RateLimitBackoffMs);
        Assert.Empty(resumed.OpenRuns);
        Assert.Equal(RunState.Succeeded, (await H.RunsAsync(sync.Id))[^1].State);
    }

    [Fact]
    public async Task A_permanent_source_failure_errors_the_sync_with_the_connectors_message()
    {
        var sync = await IdleFakeSyncAsync();
        H.AdvanceTo(sync.NextRunAt!.Value);
        H.Fake.ThenThrow(new PermanentSourceException("ROOT_NOT_FOUND", "The sync's root folder no longer exists."));

        Assert.Equal(1, await H.RunDueAsync());

        var state = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Errored, state.Sync.Status);
        Assert.Equal("The sync's root folder no longer exists.", state.Sync.Reason);
        Assert.Empty(state.OpenRuns);
        var run = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal((RunState.Failed, "The sync's root folder no longer exists."), (run.State, run.Error));
        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromMinutes(10));
        Assert.Equal(0, await H.RunDueAsync());
    }

    [Fact]
    public async Task A_sync_of_an_integration_this_server_lacks_fails_permanently_saying_so()
    {
        var credential = await H.AddCredentialAsync("retired", "secret");
        var sync = await H.EnableAsync(credential);

        Assert.Equal(1, await H.RunDueAsync());

        var state = await H.SyncAsync(sync.Id);
        Assert.Equal(SyncStatus.Errored, state.Status);
        Assert.Equal("Integration 'retired' is not available on this server.", state.Reason);
        Assert.Equal(RunState.Failed, Assert.Single(await H.RunsAsync(sync.Id)).State);
    }

    [Fact]
    public async Task A_filesystem_account_whose_root_disappeared_errors_the_sync()
    {
        var alice = await H.AddFilesystemAccountAsync("alice", ("a.txt", "a"));
        var sync = await H.EnableAsync(alice);
        await H.RunDueAsync();
        Directory.Delete(H.AccountRoot("alice"), recursive: true);

        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        Assert.Equal(1, await H.RunDueAsync());

        var state = await H.SyncAsync(sync.Id);
        Assert.Equal(SyncStatus.Errored, state.Status);
        Assert.Equal("The credential's root directory does not exist.", state.Reason);
        Assert.Single(await H.LiveRecordsAsync(sync.Id)); // records stay
    }
}
