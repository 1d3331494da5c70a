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
