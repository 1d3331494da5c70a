using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>
/// RunRules.Backoff (5 s × 2^retries, capped at 5 min, times a jitter in [0.5, 1.5]). It reads the last four bytes
/// of the run's id (Guid.ToByteArray()[12..16], the last eight hex digits, little-endian). The jitter seed is that number XOR (retries + 1) × 0x9E3779B1
/// (mod 2^32), so an id ending in the little-endian bytes of that product has seed 0 (jitter 0.5) and
/// one ending in its complement has seed 2^32 − 1 (jitter 1.5). The ids below were built that way by hand.
/// </summary>
public class RunRulesBackoffTests
{
    private static readonly RunPolicy Policy = new();

    private static SyncRun Failed(string runId, int retries) =>
        Run(RunType.Incremental, RunTrigger.Schedule, RunState.Running, new Guid(runId)) with { Retries = retries };

    [Theory]
    [InlineData(0, "00000000-0000-0000-0000-0000b179379e", 2.5)]
    [InlineData(1, "00000000-0000-0000-0000-000062f36e3c", 5)]
    [InlineData(2, "00000000-0000-0000-0000-0000136da6da", 10)]
    [InlineData(3, "00000000-0000-0000-0000-0000c4e6dd78", 20)]
    [InlineData(5, "00000000-0000-0000-0000-000026da4cb5", 80)]
    [InlineData(6, "00000000-0000-0000-0000-0000d7538453", 150)]  // 320 s capped at 300 s
    [InlineData(20, "00000000-0000-0000-0000-000085fb8cfa", 150)]
    [InlineData(25, "00000000-0000-0000-0000-0000fa5ba211", 150)] // the exponent stops at 20; the cap holds
    public void Backoff_AtTheLowestJitter_IsHalfTheDoubledDelay(int retries, string runId, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RunRules.Backoff(Failed(runId, retries), Policy));

    [Theory]
    [InlineData(0, "00000000-0000-0000-0000-00004e86c861", 7.5)]
    [InlineData(1, "00000000-0000-0000-0000-00009d0c91c3", 15)]
    [InlineData(2, "00000000-0000-0000-0000-0000ec925925", 30)]
    [InlineData(6, "00000000-0000-0000-0000-000028ac7bac", 450)]
    [InlineData(25, "00000000-0000-0000-0000-000005a45dee", 450)]
    public void Backoff_AtTheHighestJitter_IsOneAndAHalfTimesTheDoubledDelay(int retries, string runId, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RunRules.Backoff(Failed(runId, retries), Policy));

    [Theory]
    // Ends in 55555555; seeds 0xCB622CE4, 0x693BA637, 0x8FF33846 (worked out by hand from the rule above,
    // ticks rounded to nearest): 5 s × 1.29447…, 10 s × 0.91107…, 20 s × 1.06230….
    [InlineData(0, 64_723_339)]
    [InlineData(1, 91_106_643)]
    [InlineData(2, 212_460_998)]
    public void Backoff_OfAnOrdinaryRun_MovesWithEachRetry(int retries, long ticks) =>
        Assert.Equal(TimeSpan.FromTicks(ticks), RunRules.Backoff(Failed("11111111-2222-3333-4444-555555555555", retries), Policy));

    [Fact]
    public void Backoff_FollowsThePolicy()
    {
        var policy = Policy with { RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(4) };

        // 1 s × 2^3 = 8 s, capped at 4 s, at the lowest jitter: 2 s.
        Assert.Equal(TimeSpan.FromSeconds(2), RunRules.Backoff(Failed("00000000-0000-0000-0000-0000c4e6dd78", 3), policy));
    }

    [Fact]
    public void Backoff_OfManyRuns_SpreadsOverTheWholeJitterRange()
    {
        var random = new Random(20250102);
        var delays = Enumerable.Range(0, 1000).Select(_ => RunRules.Backoff(Failed(RandomId(random), 2), Policy)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)));
        Assert.True(delays.Min() < TimeSpan.FromSeconds(10.5), $"lowest {delays.Min()}");
        Assert.True(delays.Max() > TimeSpan.FromSeconds(29.5), $"highest {delays.Max()}");
        Assert.True(delays.Distinct().Count() > 990, "runs that fail together must not retry together");
    }

    private static string RandomId(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }
}
