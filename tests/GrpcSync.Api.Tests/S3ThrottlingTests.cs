using Google.Protobuf.WellKnownTypes;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>
/// The per-credential throttle end to end: s3 Syncs on one credential whose endpoint is a loopback proxy to a real
/// s3rver (<see cref="SlowDownS3Proxy"/>), switched to answering 503 SlowDown. One throttled run holds them all, the
/// held ones spend no attempt and send the source nothing, and all resume once the source answers again.
/// </summary>
public abstract class S3ThrottlingTests(S3EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteS3EngineServer server) : S3ThrottlingTests(server), IClassFixture<SqliteS3EngineServer>;

    public sealed class OnPostgres(PostgresS3EngineServer server) : S3ThrottlingTests(server), IClassFixture<PostgresS3EngineServer>;

    private S3EngineServerFixture S3Server => (S3EngineServerFixture)Server;

    private static readonly string[] Prefixes = ["alpha", "beta", "gamma"];

    [Fact]
    public async Task A_SlowDown_on_one_Sync_holds_every_Sync_on_the_credential_without_spending_attempts_and_all_resume()
    {
        var proxy = S3Server.SlowDownProxy;
        var user = NewUser();
        var bucket = await S3Server.NewBucketAsync();
        foreach (var prefix in Prefixes)
        {
            await bucket.PutAsync($"{prefix}/one.txt", "1");
            await bucket.PutAsync($"{prefix}/two.txt", "22");
        }
        var credential = (await user.CreateCredential(Transport.Grpc, new CreateCredentialRequest
        {
            Integration = "s3",
            DisplayName = "Throttled account",
            Secret = Value.ForStruct(Struct.Parser.ParseJson(bucket.SecretJson(endpoint: proxy.Endpoint))),
        })).Ok();
        var syncs = new List<Sync>();
        foreach (var prefix in Prefixes)
        {
            syncs.Add((await user.EnableSync(Transport.Grpc, S3Sync(credential.Id, bucket.Name, prefix + "/"))).Ok());
        }
        foreach (var sync in syncs)
        {
            await WaitUntilIdle(user, sync.Id); // INITIAL runs went through the proxy
        }
        var (first, held) = (syncs[0], syncs.Skip(1).ToList());

        var throttledFrom = proxy.Requests.Count;
        proxy.SlowDown = true;
        try
        {
            // One Sync meets the SlowDown; the others come due only after that, while its hold is on.
            var firstRun = (await user.TriggerSync(Transport.Grpc, first.Id, SyncRunType.Incremental)).Ok();
            await WaitForStatus(user, first.Id, SyncStatus.RateLimited);
            var heldRuns = new List<SyncRun>();
            foreach (var sync in held)
            {
                heldRuns.Add((await user.TriggerSync(Transport.Grpc, sync.Id, SyncRunType.Incremental)).Ok());
            }
            foreach (var sync in held)
            {
                await WaitForStatus(user, sync.Id, SyncStatus.RateLimited);
            }

            // S3's backoff is 10 s: all of this is read well inside the one hold (see the message if not).
            var seenAt = DateTimeOffset.UtcNow;
            var limited = new List<Sync>();
            foreach (var sync in syncs)
            {
                limited.Add(await user.Get(sync.Id));
            }
            var until = limited[0].RateLimitedUntil;
            Assert.NotNull(until);
            var context = $"read at {seenAt:O}, hold until {until.ToDateTimeOffset():O}";
            foreach (var sync in limited)
            {
                Assert.True(sync.Status == SyncStatus.RateLimited, $"{sync} ({context})");
                Assert.Equal(until, sync.RateLimitedUntil); // one hold: the credential's
                Assert.True(sync.HasRateLimitBackoffMs && sync.RateLimitBackoffMs > 0, $"{sync} ({context})");
            }
            var runs = new[] { firstRun }.Concat(heldRuns).Zip(syncs, (run, sync) => (Sync: sync, RunId: run.Id));
            foreach (var (sync, runId) in runs)
            {
                var run = Assert.Single(await user.Runs(sync.Id), r => r.Id == runId);
                Assert.True(run.State == SyncRunState.Queued, $"{run} ({context})");
                Assert.Equal(SyncRunHold.CredentialRateLimited, run.Hold);
                Assert.Equal(until, run.DueAt);
                // The throttled run was claimed once; the held ones were never claimed: no attempt spent.
                Assert.True(run.Attempt == (sync.Id == first.Id ? 1 : 0), $"{run} ({context})");
            }
            var throttled = proxy.Requests.Skip(throttledFrom).ToList();
            Assert.All(throttled, r => Assert.True(r.AnsweredSlowDown, r.RequestLine));
            Assert.Contains(throttled, r => NamesPrefix(r, Prefixes[0]));
            foreach (var prefix in Prefixes.Skip(1))
            {
                Assert.DoesNotContain(throttled, r => NamesPrefix(r, prefix)); // held: nothing sent to the source
            }
        }
        finally
        {
            proxy.SlowDown = false;
        }

        // The source answers again: at the hold's end all three run (two at a time) and succeed.
        foreach (var sync in syncs)
        {
            var run = (await user.Runs(sync.Id)).First(); // newest first: the triggered INCREMENTAL
            var done = await Eventually.Until(
                async () => Assert.Single(await user.Runs(sync.Id), r => r.Id == run.Id),
                r => r.State is SyncRunState.Succeeded or SyncRunState.Failed or SyncRunState.Cancelled,
                $"run {run.Id} of Sync {sync.Id} to finish", r => r.ToString(), timeout: TimeSpan.FromSeconds(60),
                context: () => Server.EngineLog());
            Assert.True(done.State == SyncRunState.Succeeded, $"{done}{Environment.NewLine}{Server.EngineLog()}");
            Assert.Equal(sync.Id == first.Id ? 2 : 1, done.Attempt); // the held ones ran once, on their first attempt
            var idle = await WaitUntilIdle(user, sync.Id);
            Assert.Null(idle.RateLimitedUntil);
        }
        foreach (var prefix in Prefixes)
        {
            Assert.Contains(proxy.Requests.Skip(throttledFrom), r => !r.AnsweredSlowDown && NamesPrefix(r, prefix));
        }
    }

    /// <summary>Whether a ListObjectsV2 request lists under <paramref name="prefix"/> (the SDK encodes the slash).</summary>
    private static bool NamesPrefix(ProxiedRequest request, string prefix) =>
        request.RequestLine.Contains($"prefix={prefix}%2F", StringComparison.OrdinalIgnoreCase);

    private Task<Sync> WaitForStatus(TestUser user, string syncId, SyncStatus status) =>
        Eventually.Until(() => user.Get(syncId), s => s.Status == status, $"Sync {syncId} to be {status}", s => s.ToString(),
            context: () => Server.EngineLog());

    private static EnableSyncRequest S3Sync(string credentialId, string bucket, string prefix) => new()
    {
        Integration = "s3",
        Pipeline = "files",
        ConfigurationName = prefix.TrimEnd('/'), // one Sync per prefix on the same (integration, pipeline)
        Configuration = new Struct
        {
            Fields = { ["bucket"] = Value.ForString(bucket), ["prefix"] = Value.ForString(prefix) },
        },
        CredentialId = credentialId,
        IncrementalAccumulatorFrequency = "1h", // no scheduled run interferes with the triggered ones
    };
}
