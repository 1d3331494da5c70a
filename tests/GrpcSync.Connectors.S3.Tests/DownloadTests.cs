using System.Text;

namespace GrpcSync.Connectors.S3.Tests;

public sealed class DownloadTests
{
    [Fact]
    public async Task AnObject_StreamsItsBytes_WithItsContentType()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("docs/report.csv", "a,b\n1,2\n", contentType: "text/csv; charset=utf-8");

        var content = await bucket.Connector.DownloadAsync(bucket.Context(), "docs/report.csv", range: null, CancellationToken.None);
        await using var stream = content.Content;
        using var reader = new StreamReader(stream, Encoding.UTF8);

        Assert.Equal("a,b\n1,2\n", await reader.ReadToEndAsync());
        Assert.Equal("text/csv; charset=utf-8", content.ContentType);
    }

    [Fact]
    public async Task AMissingObject_IsNotFound()
    {
        await using var bucket = await TestBucket.CreateAsync();

        var error = await Assert.ThrowsAsync<PermanentSourceException>(() => bucket.Connector.DownloadAsync(bucket.Context(), "gone.txt", range: null, CancellationToken.None));

        Assert.Equal("NOT_FOUND", error.Code);
    }

    [Fact]
    public async Task AFolder_HasNoContent()
    {
        await using var bucket = await TestBucket.CreateAsync();

        var error = await Assert.ThrowsAsync<PermanentSourceException>(() => bucket.Connector.DownloadAsync(bucket.Context(), "docs/", range: null, CancellationToken.None));

        Assert.Equal("NOT_FOUND", error.Code);
    }

    [Fact]
    public async Task AKeyOutsideThePrefix_IsForbidden()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("private/secret.txt", "no");

        var error = await Assert.ThrowsAsync<PermanentSourceException>(() =>
            bucket.Connector.DownloadAsync(bucket.Context(prefix: "public/"), "private/secret.txt", range: null, CancellationToken.None));

        Assert.Equal("FORBIDDEN", error.Code);
    }
}

/// <summary>Ranged downloads: the range goes to GetObject and S3 serves only those bytes.</summary>
public sealed class RangeDownloadTests
{
    private const string Digits = "0123456789abcdefghij"; // 20 bytes

    private static async Task<(string Text, SourceContent Content)> Read(TestBucket bucket, string key, ByteRange range)
    {
        var content = await bucket.Connector.DownloadAsync(bucket.Context(), key, range, CancellationToken.None);
        await using var stream = content.Content;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return (await reader.ReadToEndAsync(), content);
    }

    [Theory]
    [InlineData("bytes=0-3", "0123", 0L, 3L)]
    [InlineData("bytes=5-9", "56789", 5L, 9L)]
    [InlineData("bytes=15-", "fghij", 15L, 19L)]
    [InlineData("bytes=-4", "ghij", 16L, 19L)] // through HeadObject: s3rver reads bytes=-n as the first n
    [InlineData("bytes=18-1000", "ij", 18L, 19L)]
    public async Task A_range_is_served_by_S3_and_reported(string header, string expected, long first, long last)
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("digits.txt", Digits);
        Assert.True(ByteRange.TryParse(header, out var range, out _));

        var (text, content) = await Read(bucket, "digits.txt", range);

        Assert.Equal(expected, text);
        Assert.Equal(new ServedRange(first, last, Digits.Length), content.Range);
        Assert.Equal(expected.Length, content.Length);
    }

    [Fact]
    public async Task A_range_past_the_end_is_not_satisfiable_and_tells_the_length()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("digits.txt", Digits);

        var error = await Assert.ThrowsAsync<RangeNotSatisfiableException>(() => Read(bucket, "digits.txt", ByteRange.StartingAt(25)));

        Assert.Equal(Digits.Length, error.CompleteLength);
    }

    [Fact]
    public async Task A_range_of_a_missing_object_is_not_found()
    {
        await using var bucket = await TestBucket.CreateAsync();

        var error = await Assert.ThrowsAsync<PermanentSourceException>(() => Read(bucket, "gone.txt", ByteRange.LastBytes(3)));

        Assert.Equal("NOT_FOUND", error.Code);
    }
}
