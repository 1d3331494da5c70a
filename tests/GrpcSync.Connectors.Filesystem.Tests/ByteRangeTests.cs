namespace GrpcSync.Connectors.Filesystem.Tests;

/// <summary>The Range syntax connectors and the API share (GrpcSync.Connectors.ByteRange), and how a range resolves.</summary>
public sealed class ByteRangeTests
{
    [Theory]
    [InlineData("bytes=0-99", 0L, 99L, 0L)]
    [InlineData("bytes=100-", 100L, null, 0L)]
    [InlineData(" BYTES=7-9 ", 7L, 9L, 0L)] // the unit is case-insensitive
    [InlineData("bytes=-500", null, null, 500L)]
    public void Well_formed_single_ranges_parse(string text, long? first, long? last, long suffix)
    {
        Assert.True(ByteRange.TryParse(text, out var range, out var problem), problem);

        Assert.Equal(first, range.First);
        Assert.Equal(last, range.Last);
        Assert.Equal(suffix, range.SuffixLength);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0-9")]
    [InlineData("items=0-9")]
    [InlineData("bytes=0-9,20-29")]
    [InlineData("bytes=9-0")]
    [InlineData("bytes=-0")]
    [InlineData("bytes=-")]
    [InlineData("bytes=a-b")]
    [InlineData("bytes=+1-2")]
    [InlineData("bytes=99999999999999999999-")]
    public void Anything_else_is_refused_with_a_reason(string text)
    {
        Assert.False(ByteRange.TryParse(text, out _, out var problem));
        Assert.NotEmpty(problem);
    }

    [Fact]
    public void Resolving_cuts_to_the_end_and_finds_unsatisfiable_ranges()
    {
        Assert.Equal((0L, 9L), ByteRange.Between(0, 99).Resolve(10));
        Assert.Equal((5L, 9L), ByteRange.LastBytes(5).Resolve(10));
        Assert.Equal((0L, 9L), ByteRange.LastBytes(50).Resolve(10));
        Assert.Null(ByteRange.StartingAt(10).Resolve(10));
        Assert.Null(ByteRange.LastBytes(1).Resolve(0));
        Assert.Equal("bytes=3-", ByteRange.StartingAt(3).ToString());
        Assert.Equal("bytes=-3", ByteRange.LastBytes(3).ToString());
        Assert.Equal("bytes 0-9/*", new ServedRange(0, 9, null).ToString());
    }
}
