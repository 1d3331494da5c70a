using Google.Protobuf.WellKnownTypes;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Connectors;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>
/// The engine's states as callers see them (engine on, the <see cref="ScriptedConnector"/> source):
/// a run in progress (RUNNING, the Sync ACTIVE), a rate limit (RATE_LIMITED with rateLimitBackoffMs,
/// resuming by itself), a transient failure's retry (the run QUEUED again with its error), and the
/// etag changing when a run starts and when it finishes.
/// </summary>
public abstract class EngineStatesOverApiTests(EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteEngineServer server) : EngineStatesOverApiTests(server), IClassFixture<SqliteEngineServer>;

    public sealed class OnPostgres(PostgresEngineServer server) : EngineStatesOverApiTests(server), IClassFixture<PostgresEngineServer>;

    private static readonly Transport[] Transports = [Transport.Grpc, Transport.Rest];

    /// <summary>A new user's Sync on a scripted credential of its own, arranged before the Sync is enabled.</summary>
    private async Task<(TestUser User, Sync Sync)> NewScriptedSync(Action<ScriptedConnector.Script> arrange)
    {
        var user = NewUser();
        var secret = "script-" + Guid.NewGuid().ToString("N");
        arrange(Server.Scripted.For(secret));
        var credential = (await user.CreateCredential(Transport.Grpc, ScriptedConnector.Name, "Scripted", secret)).Ok();
        var sync = (await user.EnableSync(Transport.Grpc, new EnableSyncRequest
        {
            Integration = ScriptedConnector.Name,
            Pipeline = ScriptedConnector.Pipeline,
            Configuration = new Struct(),
            CredentialId = credential.Id,
            IncrementalAccumulatorFrequency = "1h",
        })).Ok();
        return (user, sync);
    }

    private Task<Sync> WaitForStatus(TestUser user, string syncId, SyncStatus status) =>
        Eventually.Until(() => user.Get(syncId), s => s.Status == status, $"Sync {syncId} to be {status}", s => s.ToString(),
            context: () => Server.EngineLog());

    [Theory, BothTransports]
    public async Task A_run_in_progress_shows_RUNNING_and_the_sync_ACTIVE_and_the_etag_changes_when_it_starts_and_finishes(Transport transport)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (user, enabled) = await NewScriptedSync(s => s.ThenHold(started, release.Task));
        try
        {
            await started.Task.WaitAsync(Eventually.DefaultTimeout);

            // The worker is inside the source: the claim has committed, nothing has finished.
            var running = (await user.GetSync(transport, enabled.Id)).Ok();
            Assert.Equal(SyncStatus.Active, running.Status);
            // The enable answer may already show the claim (the engine polls every 100 ms); when it does
            // not, the start must have changed the etag. (The rate-limit test pins this without a race.)
            if (enabled.Status == SyncStatus.Initializing)
            {
                Assert.NotEqual(enabled.Etag, running.Etag);
            }
            var run = Assert.Single((await user.ListSyncRuns(transport, enabled.Id)).Ok().Runs);
            Assert.Equal(SyncRunState.Running, run.State);
            Assert.Equal(SyncRunType.Initial, run.Type);
            Assert.Equal(1, run.Attempt);
            Assert.NotNull(run.StartedAt);
            Assert.Null(run.FinishedAt);
            Assert.Equal(running.Etag, (await user.GetSync(transport, enabled.Id)).Ok().Etag); // stable while nothing changes

            release.SetResult();
            var idle = await WaitUntilIdle(user, enabled.Id);
            Assert.NotEqual(running.Etag, idle.Etag); // the finish changed it
            Assert.NotEqual(enabled.Etag, idle.Etag);
            var done = Assert.Single((await user.ListSyncRuns(transport, enabled.Id)).Ok().Runs);
            Assert.Equal(SyncRunState.Succeeded, done.State);
            Assert.NotNull(done.FinishedAt);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task A_rate_limited_run_shows_RATE_LIMITED_with_rateLimitBackoffMs_on_both_transports_and_resumes_by_itself()
    {
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (user, enabled) = await NewScriptedSync(s => s
            .ThenThrow(new RateLimitedSourceException(TimeSpan.FromSeconds(4), "HTTP 429 from the source"))
            .ThenHold(resumed, release.Task));
        try
        {
            await RateLimitedThenResumed(user, enabled, resumed, release);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    private async Task RateLimitedThenResumed(TestUser user, Sync enabled, TaskCompletionSource resumed, TaskCompletionSource release)
    {

        // The run waits 4 s: long enough to read the state over both transports before it resumes.
        var limited = await WaitForStatus(user, enabled.Id, SyncStatus.RateLimited);
        foreach (var transport in Transports)
        {
            var seen = (await user.GetSync(transport, enabled.Id)).Ok();
            if (seen.Status != SyncStatus.RateLimited)
            {
                break; // already resumed (a very slow machine): what was seen above still counts
            }
            Assert.True(seen.HasRateLimitBackoffMs, $"{transport}: rateLimitBackoffMs is missing");
            Assert.Equal(4000, seen.RateLimitBackoffMs);
            var waiting = Assert.Single((await user.ListSyncRuns(transport, enabled.Id)).Ok().Runs);
            Assert.Equal(SyncRunState.Queued, waiting.State);
            Assert.Equal("HTTP 429 from the source", waiting.Error);
            Assert.Equal(SyncRunHold.CredentialRateLimited, waiting.Hold); // it waits on its credential's throttle
            Assert.NotNull(seen.RateLimitedUntil); // when it resumes: the run's due time
            Assert.Equal(waiting.DueAt, seen.RateLimitedUntil);
            Assert.True(waiting.DueAt.ToDateTimeOffset() > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(4), $"{transport}: due {waiting.DueAt}");
        }
        Assert.Equal(4000, limited.RateLimitBackoffMs);
        // The REST body names it as the README does.
        var rest = await user.Rest(HttpMethod.Get, $"/api/syncs/{enabled.Id}");
        Assert.True(rest.Body.GetProperty("status").GetString() != "RATE_LIMITED" || rest.Body.GetProperty("rateLimitBackoffMs").ToString() == "4000",
            rest.Text);
        Assert.True(rest.Body.GetProperty("status").GetString() != "RATE_LIMITED"
            || (rest.Body.TryGetProperty("rateLimitedUntil", out var until) && until.GetString()!.EndsWith('Z')), rest.Text);
        var restRuns = await user.Rest(HttpMethod.Get, $"/api/syncs/{enabled.Id}/runs");
        var restRun = restRuns.Body.GetProperty("runs")[0];
        Assert.True(restRun.GetProperty("state").GetString() != "QUEUED"
            || restRun.GetProperty("hold").GetString() == "CREDENTIAL_RATE_LIMITED", restRuns.Text);

        // The retry starts by itself after the backoff. The RATE_LIMITED answer above was read before
        // that start (a snapshot is one version), so this is the etag changing when a run starts.
        await resumed.Task.WaitAsync(Eventually.DefaultTimeout);
        var running = await user.Get(enabled.Id);
        Assert.Equal(SyncStatus.Active, running.Status);
        Assert.False(running.HasRateLimitBackoffMs, running.ToString());
        Assert.Null(running.RateLimitedUntil);
        Assert.False(Assert.Single(await user.Runs(enabled.Id)).HasHold); // not held: absent, so JSON leaves it out
        Assert.NotEqual(limited.Etag, running.Etag);
        Assert.Equal(2, Assert.Single(await user.Runs(enabled.Id)).Attempt);

        release.SetResult();
        var idle = await WaitUntilIdle(user, enabled.Id);
        Assert.False(idle.HasRateLimitBackoffMs, idle.ToString());
        Assert.NotEqual(running.Etag, idle.Etag); // and when it finishes
        var done = Assert.Single(await user.Runs(enabled.Id));
        Assert.Equal(SyncRunState.Succeeded, done.State);
        Assert.Equal(2, done.Attempt);
    }

    [Fact]
    public async Task A_transient_failure_queues_the_run_again_with_its_error_and_the_retry_succeeds()
    {
        var (user, enabled) = await NewScriptedSync(s => s.ThenThrow(new TransientSourceException("connection reset")));

        // The first retry waits 2.5–7.5 s (5 s base × jitter): the QUEUED retry is visible meanwhile.
        var retry = await Eventually.Until(
            async () => Assert.Single(await user.Runs(enabled.Id)),
            r => r.State == SyncRunState.Queued && r.Attempt == 1,
            "the INITIAL run to be queued again after its failure", r => r.ToString(), context: () => Server.EngineLog());
        Assert.Equal("connection reset", retry.Error);
        Assert.Equal(SyncRunType.Initial, retry.Type);
        Assert.True(retry.DueAt.ToDateTimeOffset() > retry.StartedAt.ToDateTimeOffset() + TimeSpan.FromSeconds(2),
            $"retry due {retry.DueAt}, started {retry.StartedAt}: no backoff");
        foreach (var transport in Transports)
        {
            var seen = (await user.GetSync(transport, enabled.Id)).Ok();
            if (seen.Status == SyncStatus.Active)
            {
                break; // the retry has started already
            }
            Assert.Equal(SyncStatus.Initializing, seen.Status); // retries are quiet: no error status
            Assert.False(seen.HasReason, seen.ToString());
        }

        await WaitUntilIdle(user, enabled.Id);
        var done = Assert.Single(await user.Runs(enabled.Id));
        Assert.Equal(SyncRunState.Succeeded, done.State);
        Assert.Equal(2, done.Attempt);
    }
}
