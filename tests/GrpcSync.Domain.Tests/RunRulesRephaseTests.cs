using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>
/// Re-phasing after a catch-up (RunRules.NextRunAfterStart, RunRules.Rephase): a Sync whose run started more than one
/// interval late moves to its own slot of the interval grid, so Syncs drained together spread out again.
/// Now = 2025-01-12T03:04:05Z, 5,000 ms into its minute and 245,000 ms into its hour.
/// </summary>
public class RunRulesRephaseTests
{
    private const string Owner = "replica-1";
    private static readonly RunPolicy Policy = new();

    /// <summary>Its last four bytes, read little-endian, are 0x40000000: a quarter of 2^32, so its slot is a quarter in.</summary>
    private static readonly Guid QuarterId = new("11111111-2222-3333-4444-000000000040");

    private static Sync Due(DateTimeOffset planned, string? frequency = null) =>
        IdleSync() with { Id = QuarterId, NextRunAt = planned, Frequency = frequency, LastFullSyncAt = Now.AddHours(-1) };

    private static DateTimeOffset? NextAfterDispatch(Sync sync, DateTimeOffset now) =>
        RunRules.Dispatch(Snapshot(sync), now, Owner, Policy).NewSync?.NextRunAt;

    [Fact]
    public void ARunStartedOneIntervalLate_KeepsItsPhase() =>
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 5, 5, TimeSpan.Zero), NextAfterDispatch(Due(Now.AddMinutes(-1)), Now));

    [Fact]
    public void ARunStartedMoreThanOneIntervalLate_MovesToItsSlot()
    {
        // Earliest 03:05:05 (second 5 of its minute); the slot is 15,000 ms into the minute: 10 s later.
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 5, 15, TimeSpan.Zero),
            NextAfterDispatch(Due(Now.AddMinutes(-1).AddMilliseconds(-1)), Now));
    }

    [Fact]
    public void TheSlotScalesWithTheInterval()
    {
        // 1 h: earliest 04:04:05 is 245,000 ms into its hour; the slot is 900,000 ms (15 min) in: 655,000 ms later.
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 4, 15, 0, TimeSpan.Zero), NextAfterDispatch(Due(Now.AddHours(-3), "1h"), Now));
    }

    [Fact]
    public void Rephase_OnTheSlot_IsTheEarliestTime_AndJustAfterIt_TheNextInterval()
    {
        var onSlot = new DateTimeOffset(2025, 1, 12, 3, 5, 15, TimeSpan.Zero);
        Assert.Equal(onSlot, RunRules.Rephase(QuarterId, TimeSpan.FromMinutes(1), onSlot));
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 6, 15, TimeSpan.Zero),
            RunRules.Rephase(QuarterId, TimeSpan.FromMinutes(1), onSlot.AddMilliseconds(1)));
    }

    [Fact]
    public void ARephasedSync_KeepsItsNewPhase_WhenItRunsOnTime()
    {
        var rephased = new DateTimeOffset(2025, 1, 12, 3, 5, 15, TimeSpan.Zero);
        Assert.Equal(rephased.AddMinutes(1), NextAfterDispatch(Due(rephased) with { LastRunStartedAt = Now }, rephased));
    }

    [Fact]
    public void AFirstRun_KeepsItsPhaseOffset_EvenWhenLate()
    {
        // Only a Sync that ran before is re-phased; the first run's phase offset still applies when on time.
        var fresh = Due(Now.AddSeconds(-10)) with { LastRunStartedAt = null };
        // QuarterId: a quarter of the way through 10 % of 1 m = 1.5 s (PhaseOffset divides by 2^32 − 1: a hair under).
        var next = NextAfterDispatch(fresh, Now)!.Value;
        Assert.InRange(next, Now.AddSeconds(61.499), Now.AddSeconds(61.5));
    }

    [Fact]
    public void SyncsDrainedTogether_SpreadOverOneIntervalAgain()
    {
        // 6,000 Syncs, all ten minutes late, all started in the same second of a catch-up.
        var random = new Random(1313);
        var next = Enumerable.Range(0, 6000).Select(i =>
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            var sync = IdleSync() with { Id = new Guid(bytes), NextRunAt = Now.AddMinutes(-10), LastFullSyncAt = Now.AddHours(-1) };
            return NextAfterDispatch(sync, Now.AddMilliseconds(i % 1000))!.Value;
        }).ToList();

        // Within [now + 1 m, now + 2 m + 1 s), in ten-second buckets of 1,000 expected each, not one clump.
        Assert.All(next, n => Assert.InRange(n, Now.AddMinutes(1), Now.AddMinutes(2).AddSeconds(1)));
        var buckets = next.GroupBy(n => (long)(n - Now.AddMinutes(1)).TotalSeconds / 10).ToDictionary(g => g.Key, g => g.Count());
        for (var b = 0; b < 6; b++)
        {
            Assert.InRange(buckets.GetValueOrDefault(b), 850, 1150);
        }
    }
}
