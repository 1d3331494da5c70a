namespace GrpcSync.Domain.Tests;

public sealed class EventIdsTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);

    [Fact]
    public void LowestAt_IsAboveEveryIdOfEarlierMilliseconds_AndNotAboveAnyOfItsOwnOrLater()
    {
        var boundary = EventIds.LowestAt(At).ToString("D"); // as SQLite compares them (text); PostgreSQL compares the same bytes
        for (var i = 0; i < 2000; i++)
        {
            Assert.True(string.CompareOrdinal(Guid.CreateVersion7(At.AddMilliseconds(-1 - i % 7)).ToString("D"), boundary) < 0);
            Assert.True(string.CompareOrdinal(Guid.CreateVersion7(At).ToString("D"), boundary) >= 0);
            Assert.True(string.CompareOrdinal(Guid.CreateVersion7(At.AddMilliseconds(1 + i % 7)).ToString("D"), boundary) > 0);
        }
    }

    [Fact]
    public void LowestAt_IsAVersion7IdOfThatMillisecond()
    {
        var id = EventIds.LowestAt(At);
        Assert.Equal(7, id.Version);
        Assert.Equal(Guid.CreateVersion7(At).ToString("D")[..13], id.ToString("D")[..13]); // the 48-bit time prefix
        Assert.Equal("019b76da-a87b-7000-8000-000000000000", id.ToString("D")); // 1767225600123 = 0x019b76daa87b
    }
}
