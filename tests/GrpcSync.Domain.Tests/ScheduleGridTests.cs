using GrpcSync.Domain;

namespace GrpcSync.Domain.Tests;

/// <summary>ScheduleGrid: each Sync's own slot of its interval, from its id's random bytes.</summary>
public class ScheduleGridTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000", "1m", 0)]
    [InlineData("00000000-0000-0000-0000-000000000080", "1m", 30_000)]       // bytes 12–15: 0x80000000, half the minute
    [InlineData("11111111-2222-3333-4444-555555555555", "1m", 19_999)]       // 0x55555555: a third, rounded down
    [InlineData("00000000-0000-0000-0000-0000ffffffff", "1m", 59_999)]       // the top
    [InlineData("11111111-2222-3333-4444-555555555555", "1h", 1_159_999)]    // bytes 8–11: 0x55554444, minute 19 of 60
    [InlineData("11111111-2222-3333-4444-555555555555", "24h", 28_759_999)]  // minute 479 of 1,440
    [InlineData("00000000-0000-0000-0000-0000ffffffff", "24h", 59_999)]      // bytes 8–11 zero: minute 0
    public void SlotMs_IsTheIdsMinuteOffset_PlusItsMinuteOfTheInterval(string syncId, string frequency, long slotMs) =>
        Assert.Equal(slotMs, ScheduleGrid.SlotMs(new Guid(syncId), Frequency.ToInterval(frequency)));

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000080", 90_000, 45_000)]  // not whole minutes: the id's share of the interval
    [InlineData("00000000-0000-0000-0000-000000000080", 20_000, 10_000)]
    public void SlotMs_OfAnIntervalOfNoWholeMinutes_IsTheIdsShareOfIt(string syncId, long intervalMs, long slotMs) =>
        Assert.Equal(slotMs, ScheduleGrid.SlotMs(new Guid(syncId), TimeSpan.FromMilliseconds(intervalMs)));

    [Fact]
    public void EveryFrequency_PutsASyncsSlotsAtTheSameOffsetIntoTheMinute()
    {
        var random = new Random(11);
        for (var i = 0; i < 1000; i++)
        {
            var id = RandomId(random);
            var offset = ScheduleGrid.MinuteOffsetMs(id);
            Assert.InRange(offset, 0, 59_999);
            foreach (var frequency in Frequency.Allowed)
            {
                var interval = Frequency.ToInterval(frequency);
                var slot = ScheduleGrid.SlotMs(id, interval);
                Assert.InRange(slot, 0, (long)interval.TotalMilliseconds - 1);
                Assert.Equal(offset, slot % 60_000);
            }
        }
    }

    [Theory]
    [InlineData("1m")]
    [InlineData("1h")]
    [InlineData("24h")]
    public void SlotsOfManySyncs_SpreadEvenlyOverTheInterval(string frequency)
    {
        var interval = Frequency.ToInterval(frequency);
        var random = new Random(7);
        var slots = Enumerable.Range(0, 6000).Select(_ => ScheduleGrid.SlotMs(RandomId(random), interval)).ToList();

        // Six buckets of 1,000 expected each; Syncs enabled together in a clump would fill one.
        var width = (long)interval.TotalMilliseconds / 6;
        var buckets = slots.GroupBy(s => s / width).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(6, buckets.Count);
        Assert.All(buckets.Values, count => Assert.InRange(count, 850, 1150));
    }

    [Fact]
    public void FirstSlotAtOrAfter_OnTheSlot_IsThatTime_AndJustAfterIt_OneIntervalLater()
    {
        var id = new Guid("11111111-2222-3333-4444-000000000040"); // 15,000 ms into the minute
        var onSlot = new DateTimeOffset(2025, 1, 12, 3, 5, 15, TimeSpan.Zero);
        Assert.Equal(onSlot, ScheduleGrid.FirstSlotAtOrAfter(id, Minute, onSlot));
        Assert.Equal(onSlot, ScheduleGrid.FirstSlotAtOrAfter(id, Minute, onSlot.AddSeconds(-59)));
        Assert.Equal(onSlot.AddMinutes(1), ScheduleGrid.FirstSlotAtOrAfter(id, Minute, onSlot.AddMilliseconds(1)));
    }

    [Fact]
    public void FirstSlotAtOrAfter_IsWithinOneIntervalOfTheEarliest_AndOnTheSlot()
    {
        var random = new Random(3);
        var earliest = new DateTimeOffset(2025, 1, 12, 3, 4, 5, 321, TimeSpan.Zero);
        for (var i = 0; i < 1000; i++)
        {
            var id = RandomId(random);
            var interval = Frequency.ToInterval(Frequency.Allowed[i % Frequency.Allowed.Count]);
            var slot = ScheduleGrid.FirstSlotAtOrAfter(id, interval, earliest);
            Assert.InRange(slot, earliest, earliest + interval - TimeSpan.FromMilliseconds(1));
            Assert.Equal(ScheduleGrid.SlotMs(id, interval), slot.ToUnixTimeMilliseconds() % (long)interval.TotalMilliseconds);
        }
    }

    private static Guid RandomId(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }
}
