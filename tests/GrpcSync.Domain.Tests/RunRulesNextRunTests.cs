using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>
/// When a Sync runs next (RunRules.NextRunAfterStart): on its own slot of the interval grid (ScheduleGrid), the first one
/// at least half an interval after the start. Now = 2025-01-12T03:04:05Z, 5,000 ms into its minute and 245,000 ms into
/// its hour.
/// </summary>
public class RunRulesNextRunTests
{
    private const string Owner = "replica-1";
    private static readonly RunPolicy Policy = new();

    /// <summary>Bytes 12–15, read little-endian, are 0x40000000: its slots fall 15,000 ms into every minute.</summary>
    private static readonly Guid QuarterId = new("11111111-2222-3333-4444-000000000040");

    /// <summary>As <see cref="QuarterId"/>, and bytes 8–11 are 0x80000000: half way through the minutes of an interval.</summary>
    private static readonly Guid HalfMinutesId = new("11111111-2222-3333-0000-008000000040");

    private static readonly DateTimeOffset Slot = new(2025, 1, 12, 3, 4, 15, TimeSpan.Zero);

    private static Sync Due(DateTimeOffset planned, string? frequency = null, Guid? id = null) =>
        IdleSync() with { Id = id ?? QuarterId, NextRunAt = planned, Frequency = frequency, LastFullSyncAt = Now.AddHours(-1) };

    private static DateTimeOffset? NextAfterDispatch(Sync sync, DateTimeOffset now) =>
        RunRules.Dispatch(Snapshot(sync), now, Owner, Policy).NewSync?.NextRunAt;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(20_000)]
    [InlineData(29_999)]
    public void ARunStartedUnderHalfAnIntervalAfterItsSlot_RunsNextOnTheNextSlot_ItsLagNotCarriedOver(int lagMs) =>
        Assert.Equal(Slot.AddMinutes(1), NextAfterDispatch(Due(Slot), Slot.AddMilliseconds(lagMs)));

    [Fact]
    public void ARunStartedHalfAnIntervalLate_SkipsToTheSlotAfter()
    {
        // 30 s after its slot: the next slot would be only 30 s away, under half an interval; the one after is 90 s away.
        Assert.Equal(Slot.AddMinutes(2), NextAfterDispatch(Due(Slot), Slot.AddSeconds(30).AddMilliseconds(1)));
    }

    [Fact]
    public void ARunStartedOffTheGrid_MovesToItsSlot()
    {
        // Planned 03:04:05 (as UpdateSync or EnableSync plan it, off the grid), started on time: earliest 03:04:35, so the
        // slot of 03:05 (15 s into the minute).
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 5, 15, TimeSpan.Zero), NextAfterDispatch(Due(Now), Now));
    }

    [Fact]
    public void ARunStartedLongAfterItsSlot_RunsNextOnTheFirstSlotHalfAnIntervalOn()
    {
        // Ten minutes late: earliest 03:04:35; its slot in that minute (03:04:15) has passed, so 03:05:15.
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 5, 15, TimeSpan.Zero), NextAfterDispatch(Due(Now.AddMinutes(-10)), Now));
    }

    [Fact]
    public void TheSlotScalesWithTheInterval()
    {
        // 1 h: earliest 03:34:05; the slot is 30 min 15 s into the hour, 03:30:15 has passed, so 04:30:15.
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 4, 30, 15, TimeSpan.Zero),
            NextAfterDispatch(Due(Now.AddHours(-3), "1h", HalfMinutesId), Now));
        // 24 h: earliest 15:04:05; the slot is 12:00:15 into the day, so the next day's.
        Assert.Equal(new DateTimeOffset(2025, 1, 13, 12, 0, 15, TimeSpan.Zero),
            NextAfterDispatch(Due(Now.AddDays(-1), "24h", HalfMinutesId), Now));
    }

    [Fact]
    public void ASyncRunOnTimeForAnHour_StaysOnItsSlot()
    {
        // Each run starts up to 29 s after its slot; every next run is still planned on the slot.
        var random = new Random(42);
        var sync = Due(Slot) with { LastRunStartedAt = Slot.AddMinutes(-1) };
        for (var minute = 0; minute < 60; minute++)
        {
            var planned = sync.NextRunAt!.Value;
            Assert.Equal(Slot.AddMinutes(minute), planned);
            var change = RunRules.Dispatch(Snapshot(sync), planned.AddMilliseconds(random.Next(0, 29_000)), Owner, Policy);
            sync = change.NewSync! with { Status = SyncStatus.Idle };
        }
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

        // Within [now + 30 s, now + 1 m 31 s), in ten-second buckets of 1,000 expected each, not one clump.
        Assert.All(next, n => Assert.InRange(n, Now.AddSeconds(30), Now.AddSeconds(91)));
        var buckets = next.GroupBy(n => (long)(n - Now.AddSeconds(30)).TotalSeconds / 10).ToDictionary(g => g.Key, g => g.Count());
        for (var b = 0; b < 6; b++)
        {
            Assert.InRange(buckets.GetValueOrDefault(b), 850, 1150);
        }
    }
}
