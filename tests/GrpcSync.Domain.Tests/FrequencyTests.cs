using GrpcSync.Domain;

namespace GrpcSync.Domain.Tests;

public class FrequencyTests
{
    [Theory]
    [InlineData("1m", 60)]
    [InlineData("5m", 300)]
    [InlineData("10m", 600)]
    [InlineData("30m", 1800)]
    [InlineData("1h", 3600)]
    [InlineData("3h", 10800)]
    [InlineData("6h", 21600)]
    [InlineData("24h", 86400)]
    public void AllowedValue_IsValid_AndMapsToItsInterval(string value, int expectedSeconds)
    {
        Assert.True(Frequency.IsValid(value));
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Frequency.ToInterval(value));
    }

    [Theory]
    [InlineData("2m")]
    [InlineData("1M")]
    [InlineData("1H")]
    [InlineData("")]
    [InlineData(" 1m")]
    [InlineData("1m ")]
    [InlineData("60s")]
    [InlineData("1d")]
    [InlineData("01m")]
    public void UnknownValue_IsRejected_AndHasNoInterval(string value)
    {
        Assert.False(Frequency.IsValid(value));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Frequency.ToInterval(value));
        Assert.Equal("value", ex.ParamName);
    }

    [Fact]
    public void Null_IsRejected()
    {
        Assert.False(Frequency.IsValid(null));
    }

    [Fact]
    public void Allowed_ListsTheEightValuesFromShortestToLongest()
    {
        Assert.Equal(["1m", "5m", "10m", "30m", "1h", "3h", "6h", "24h"], Frequency.Allowed);
    }

    [Fact]
    public void Default_IsOneMinute()
    {
        Assert.Equal("1m", Frequency.Default);
    }

    [Fact]
    public void SyncWithoutExplicitFrequency_FollowsTheOneMinuteDefault()
    {
        var sync = TestData.IdleSync() with { Frequency = null };

        Assert.Equal(TimeSpan.FromMinutes(1), sync.Interval);
    }

    [Fact]
    public void SyncWithExplicitFrequency_FollowsThatFrequency()
    {
        var sync = TestData.IdleSync() with { Frequency = "6h" };

        Assert.Equal(TimeSpan.FromHours(6), sync.Interval);
    }
}
