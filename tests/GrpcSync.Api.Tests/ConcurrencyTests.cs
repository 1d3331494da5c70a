using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>Many callers at once against one Sync, over both transports: no lost update, no duplicate run.</summary>
public abstract class ConcurrencyTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : ConcurrencyTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : ConcurrencyTests(server), IClassFixture<PostgresServer>;

    private static readonly string[] Frequencies = ["5m", "10m", "30m", "1h", "3h", "6h", "24h"];

    /// <summary>Starts every call at (nearly) the same moment and waits for all of them.</summary>
    private static async Task<T[]> AllAtOnce<T>(int count, Func<int, Task<T>> call)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await start.Task;
            return await call(i);
        }).ToArray();
        start.SetResult();
        return await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task FortyParallelUpdates_OverBothTransports_AllSucceed_AndLeaveOneConsistentStateWithAtMostOneFullRun()
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var a = await user.NewCredential(displayName: "A");
        var b = await user.NewCredential(displayName: "B");

        // i % 4: 0 = frequency over REST, 1 = credential over REST, 2 = frequency over gRPC, 3 = credential over gRPC.
        var outcomes = await AllAtOnce(40, i =>
        {
            var transport = i % 4 < 2 ? Transport.Rest : Transport.Grpc;
            return i % 2 == 0
                ? user.UpdateSync(transport, sync.Id, frequency: Frequencies[i / 2 % Frequencies.Length])
                : user.UpdateSync(transport, sync.Id, credentialId: i / 2 % 2 == 0 ? a.Id : b.Id);
        });

        Assert.All(outcomes, o => o.Ok());
        var final = await user.Get(sync.Id);
        Assert.Contains(final.IncrementalAccumulatorFrequency, Frequencies);
        Assert.Contains(final.CredentialId, new[] { a.Id, b.Id });
        Assert.NotEqual(sync.Etag, final.Etag);
        Assert.Equal(SyncStatus.Initializing, final.Status);
        var runs = await user.Runs(sync.Id);
        var reconciles = runs.Where(r => r.Type == SyncRunType.Full && r.Trigger == SyncRunTrigger.CredentialChange && r.State == SyncRunState.Queued);
        Assert.Single(reconciles);
        Assert.Equal(2, runs.Count);
    }

    [Fact]
    public async Task ParallelUpdatesOfDifferentFields_NeverLoseAField()
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var a = await user.NewCredential(displayName: "A");
        var b = await user.NewCredential(displayName: "B");

        // 20 set only the frequency, 20 only the credential; transports alternate within each group.
        var outcomes = await AllAtOnce(40, i =>
        {
            var transport = i / 2 % 2 == 0 ? Transport.Rest : Transport.Grpc;
            return i % 2 == 0
                ? user.UpdateSync(transport, sync.Id, frequency: Frequencies[i % Frequencies.Length])
                : user.UpdateSync(transport, sync.Id, credentialId: i % 4 == 1 ? a.Id : b.Id);
        });

        Assert.All(outcomes, o => o.Ok());
        var final = await user.Get(sync.Id);
        Assert.True(final.HasIncrementalAccumulatorFrequency, "The frequency updates were lost.");
        Assert.Contains(final.IncrementalAccumulatorFrequency, Frequencies);
        Assert.Contains(final.CredentialId, new[] { a.Id, b.Id });
        Assert.Single(await user.Runs(sync.Id), r => r.Type == SyncRunType.Full);
    }

    [Fact]
    public async Task ParallelUpdatesOfBothFieldsTogether_LeaveAPairThatWasSentTogether()
    {
        var user = NewUser();
        var sync = await user.NewSync();
        var a = await user.NewCredential(displayName: "A");
        var b = await user.NewCredential(displayName: "B");
        // Request i sends (credential, frequency) as one pair; the final state must be one of the pairs.
        var pairs = Enumerable.Range(0, 20)
            .Select(i => (Credential: i % 2 == 0 ? a.Id : b.Id, Frequency: Frequencies[i % Frequencies.Length]))
            .ToArray();

        var outcomes = await AllAtOnce(pairs.Length, i =>
            user.UpdateSync(i % 2 == 0 ? Transport.Rest : Transport.Grpc, sync.Id,
                credentialId: pairs[i].Credential, frequency: pairs[i].Frequency));

        Assert.All(outcomes, o => o.Ok());
        var final = await user.Get(sync.Id);
        Assert.Contains((final.CredentialId, final.IncrementalAccumulatorFrequency), pairs);
    }

    [Fact]
    public async Task ParallelEnablesOfTheSameSync_AllReturnTheSameId_AndCreateOneSyncWithOneInitialRun()
    {
        var user = NewUser();
        var credential = await user.NewCredential();

        var outcomes = await AllAtOnce(12, i =>
            user.EnableSync(i % 2 == 0 ? Transport.Rest : Transport.Grpc, TestUser.EnableRequest("files", "x", credential.Id)));

        var ids = outcomes.Select(o => o.Ok().Id).Distinct().ToArray();
        Assert.Single(ids);
        Assert.Single((await user.ListSyncs(Transport.Grpc)).Ok().Data);
        Assert.Single(await user.Runs(ids[0]));
    }

    // Race tests: they can only miss the bug (pass by luck), never fail on a correct server. Each
    // tries a few batches of rounds and stops at the first broken state. Both orders of a race must
    // have happened at least once (else the rounds proved only one order): batches go on, up to
    // MaxRaceBatches, until both were seen.
    private const int RaceRounds = 40;
    private const int RaceBatches = 3;
    private const int MaxRaceBatches = 12;

    // The two calls of a race cost different amounts (a PATCH reads and writes more than a DELETE), so
    // on a given machine one side can win every round when both start together. Each round therefore
    // holds one side back by 0–9 ms, alternating which side, so the sweep crosses the point where the
    // order flips whatever the relative costs are; offset 0 keeps the tight race in every batch.
    private static Task HeadStart(int round, bool isFirstSide)
    {
        var delay = TimeSpan.FromMilliseconds(round / 2 % 10);
        var firstSideWaits = round / 20 % 2 == 1;
        return delay == TimeSpan.Zero || isFirstSide != firstSideWaits ? Task.CompletedTask : Task.Delay(delay);
    }

    private static void AssertBothOrdersHappened(int firstWon, int secondWon, string first, string second) =>
        Assert.True(firstWon > 0 && secondWon > 0,
            $"Only one order of the race was exercised: {first} {firstWon} times, {second} {secondWon} times.");

    [Fact]
    public async Task RebindingToACredentialWhileItIsDeleted_NeverLeavesASyncRunningOnADeletedCredential()
    {
        // Each round races "PATCH credentialId=B" against "DELETE credential B". Whatever the order,
        // the Sync must end up either bound to a live credential or ERRORED, never running on a
        // deleted credential.
        int rebindFirst = 0, deleteFirst = 0;
        for (var batch = 0; batch < RaceBatches || (batch < MaxRaceBatches && (rebindFirst == 0 || deleteFirst == 0)); batch++)
        {
            var user = NewUser();
            var syncs = new List<Sync>();
            var targets = new List<Credential>();
            for (var i = 0; i < RaceRounds; i++)
            {
                syncs.Add(await user.NewSync(configurationName: "round" + i));
                targets.Add(await user.NewCredential(displayName: "B" + i));
            }

            await AllAtOnce(RaceRounds * 2, async i =>
            {
                var round = i / 2;
                var transport = round % 2 == 0 ? Transport.Rest : Transport.Grpc;
                await HeadStart(round, isFirstSide: i % 2 == 0);
                if (i % 2 == 0)
                {
                    var update = await user.UpdateSync(transport, syncs[round].Id, credentialId: targets[round].Id);
                    Assert.True(update.Code is Grpc.Core.StatusCode.OK or Grpc.Core.StatusCode.NotFound, $"PATCH: {update.Code}");
                    // OK: the rebind committed before the deletion; NOT_FOUND: the deletion came first.
                    Interlocked.Increment(ref update.Code == Grpc.Core.StatusCode.OK ? ref rebindFirst : ref deleteFirst);
                }
                else
                {
                    (await user.DeleteCredential(transport, targets[round].Id)).Ok();
                }
                return i;
            });

            await AssertNoSyncRunsOnADeletedCredential(user);
        }
        AssertBothOrdersHappened(rebindFirst, deleteFirst, "rebind first", "delete first");
    }

    [Fact]
    public async Task EnablingWithACredentialWhileItIsDeleted_NeverLeavesASyncRunningOnADeletedCredential()
    {
        // Each round races "POST /api/syncs with credentialId=B" against "DELETE credential B".
        int enableFirst = 0, deleteFirst = 0;
        for (var batch = 0; batch < RaceBatches || (batch < MaxRaceBatches && (enableFirst == 0 || deleteFirst == 0)); batch++)
        {
            var user = NewUser();
            var targets = new List<Credential>();
            for (var i = 0; i < RaceRounds; i++)
            {
                targets.Add(await user.NewCredential(displayName: "B" + i));
            }

            await AllAtOnce(RaceRounds * 2, async i =>
            {
                var round = i / 2;
                var transport = round % 2 == 0 ? Transport.Rest : Transport.Grpc;
                await HeadStart(round, isFirstSide: i % 2 == 0);
                if (i % 2 == 0)
                {
                    var request = TestUser.EnableRequest(credentialId: targets[round].Id);
                    request.ConfigurationName = "round" + round;
                    var enable = await user.EnableSync(transport, request);
                    Assert.True(enable.Code is Grpc.Core.StatusCode.OK or Grpc.Core.StatusCode.NotFound, $"Enable: {enable.Code}");
                    Interlocked.Increment(ref enable.Code == Grpc.Core.StatusCode.OK ? ref enableFirst : ref deleteFirst);
                }
                else
                {
                    (await user.DeleteCredential(transport, targets[round].Id)).Ok();
                }
                return i;
            });

            await AssertNoSyncRunsOnADeletedCredential(user);
        }
        AssertBothOrdersHappened(enableFirst, deleteFirst, "enable first", "delete first");
    }

    private static async Task AssertNoSyncRunsOnADeletedCredential(TestUser user)
    {
        var broken = new List<string>();
        foreach (var sync in (await user.ListSyncs(Transport.Grpc)).Ok().Data)
        {
            var bound = await user.GetCredential(Transport.Grpc, sync.CredentialId);
            if (bound.Code == Grpc.Core.StatusCode.NotFound && sync.Status != SyncStatus.Errored)
            {
                broken.Add($"Sync {sync.Id} is {sync.Status} on deleted credential {sync.CredentialId}");
            }
        }
        Assert.True(broken.Count == 0, string.Join(Environment.NewLine, broken));
    }

    [Fact]
    public async Task ParallelEtagGuardedUpdates_LetExactlyOneWin()
    {
        var user = NewUser();
        var sync = await user.NewSync();

        var outcomes = await AllAtOnce(10, i =>
            user.UpdateSync(i % 2 == 0 ? Transport.Rest : Transport.Grpc, sync.Id,
                frequency: Frequencies[i % Frequencies.Length], etag: sync.Etag));

        var winners = outcomes.Where(o => o.Code == Grpc.Core.StatusCode.OK).ToArray();
        Assert.Single(winners);
        Assert.All(outcomes.Except(winners), o => o.Fails(Grpc.Core.StatusCode.Aborted));
        Assert.Equal(winners[0].Value!.Data.IncrementalAccumulatorFrequency, (await user.Get(sync.Id)).IncrementalAccumulatorFrequency);
    }
}
