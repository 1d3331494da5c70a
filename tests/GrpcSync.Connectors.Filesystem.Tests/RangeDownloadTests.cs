namespace GrpcSync.Connectors.Filesystem.Tests;

/// <summary>Ranged downloads: the connector seeks to the range and serves exactly its bytes, saying which.</summary>
public sealed class RangeDownloadTests : IDisposable
{
    private const string Digits = "0123456789abcdefghij"; // 20 bytes
    private readonly TempTree _tree = new();

    public RangeDownloadTests()
    {
        _tree.WriteSampleTree();
        _tree.Write("docs/digits.txt", Digits);
        _tree.Write("docs/empty.txt", "");
    }

    public void Dispose() => _tree.Dispose();

    private async Task<(string Text, SourceContent Content)> Read(string id, ByteRange? range)
    {
        var content = await _tree.Connector().DownloadAsync(_tree.Context(), id, range, default);
        await using var stream = content.Content;
        using var reader = new StreamReader(stream);
        return (await reader.ReadToEndAsync(), content);
    }

    public static TheoryData<string, string, long, long> Ranges => new()
    {
        { "bytes=0-3", "0123", 0, 3 },
        { "bytes=5-9", "56789", 5, 9 },
        { "bytes=-4", "ghij", 16, 19 },
        { "bytes=15-", "fghij", 15, 19 },
        { "bytes=18-1000", "ij", 18, 19 },
        { "bytes=-1000", Digits, 0, 19 },
    };

    [Theory, MemberData(nameof(Ranges))]
    public async Task A_range_serves_exactly_its_bytes_and_says_which(string header, string expected, long first, long last)
    {
        Assert.True(ByteRange.TryParse(header, out var range, out _));

        var (text, content) = await Read("docs/digits.txt", range);

        Assert.Equal(expected, text);
        Assert.Equal(new ServedRange(first, last, Digits.Length), content.Range);
        Assert.Equal(expected.Length, content.Length);
    }

    [Fact]
    public async Task The_whole_file_has_its_length_and_no_range()
    {
        var (text, content) = await Read("docs/digits.txt", null);

        Assert.Equal(Digits, text);
        Assert.Equal(Digits.Length, content.Length);
        Assert.Null(content.Range);
    }

    [Fact]
    public async Task A_range_starting_past_the_end_is_not_satisfiable_and_tells_the_length()
    {
        var error = await Assert.ThrowsAsync<RangeNotSatisfiableException>(() => Read("docs/digits.txt", ByteRange.StartingAt(20)));

        Assert.Equal(Digits.Length, error.CompleteLength);
    }

    [Fact]
    public async Task No_range_of_an_empty_file_is_satisfiable()
    {
        var error = await Assert.ThrowsAsync<RangeNotSatisfiableException>(() => Read("docs/empty.txt", ByteRange.LastBytes(1)));

        Assert.Equal(0, error.CompleteLength);
    }

    [Fact]
    public async Task A_range_does_not_lift_the_path_checks()
    {
        var error = await Assert.ThrowsAsync<PermanentSourceException>(() => Read("../outside.txt", ByteRange.Between(0, 1)));

        Assert.Equal("FORBIDDEN", error.Code);
    }
}
