namespace GrpcSync.Connectors.S3.Tests;

public sealed class EnumerateTests
{
    [Fact]
    public async Task NestedKeys_BecomeFilesAndFolders_WithTheFilesSchema()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("readme.txt", "hello, world\n");
        await bucket.PutAsync("docs/report.csv", "a,b\n1,2\n");
        await bucket.PutAsync("docs/nested/image.png", new byte[1024]);

        var records = await bucket.EnumerateAsync();

        Assert.Equal(["docs/", "docs/nested/", "docs/nested/image.png", "docs/report.csv", "readme.txt"],
            records.Select(r => r.ExternalId).ToArray());
        var readme = records.Single(r => r.ExternalId == "readme.txt").Fields;
        Assert.Equal("readme.txt", (string?)readme["name"]);
        Assert.Equal("text/plain", (string?)readme["mimeType"]);
        Assert.Equal(13, (long?)readme["size"]);
        Assert.Equal("", (string?)readme["parentFolderId"]);
        Assert.Matches("^[0-9a-f]{32}$", (string?)readme["hash"]!["etag"]); // s3rver: the MD5, quotes stripped
        Assert.Equal((string?)readme["createdAt"], (string?)readme["updatedAt"]);
        Assert.EndsWith("Z", (string?)readme["updatedAt"]);

        var image = records.Single(r => r.ExternalId == "docs/nested/image.png").Fields;
        Assert.Equal("docs/nested/", (string?)image["parentFolderId"]);
        Assert.Equal("image/png", (string?)image["mimeType"]);

        var nested = records.Single(r => r.ExternalId == "docs/nested/").Fields;
        Assert.Equal("nested", (string?)nested["name"]);
        Assert.Equal("inode/directory", (string?)nested["mimeType"]);
        Assert.Equal("docs/", (string?)nested["parentFolderId"]);
        Assert.Equal("", (string?)records.Single(r => r.ExternalId == "docs/").Fields["parentFolderId"]);
    }

    [Fact]
    public async Task APrefix_NarrowsTheSync_AndItsFolderIsTheRoot()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("reports/2026/q1.csv", "x");
        await bucket.PutAsync("reports/2026/eu/q2.csv", "y");
        await bucket.PutAsync("reports/2025/q4.csv", "z");
        await bucket.PutAsync("other.txt", "w");

        var records = await bucket.EnumerateAsync(bucket.Context(prefix: "reports/2026/"));

        Assert.Equal(["reports/2026/eu/", "reports/2026/eu/q2.csv", "reports/2026/q1.csv"], records.Select(r => r.ExternalId).ToArray());
        Assert.Equal("", (string?)records.Single(r => r.ExternalId == "reports/2026/q1.csv").Fields["parentFolderId"]);
        Assert.Equal("reports/2026/eu/", (string?)records.Single(r => r.ExternalId == "reports/2026/eu/q2.csv").Fields["parentFolderId"]);
    }

    [Fact]
    public async Task ADirectoryMarker_IsAFolderRecord_NotAFile()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("empty-folder/", "");

        var record = Assert.Single(await bucket.EnumerateAsync());

        Assert.Equal("empty-folder/", record.ExternalId);
        Assert.Equal("inode/directory", (string?)record.Fields["mimeType"]);
    }

    [Fact]
    public async Task MoreKeysThanAPage_AreListedInSeveralPages()
    {
        await using var bucket = await TestBucket.CreateAsync();
        // A few writes at a time: s3rver stores each object as files of its own.
        foreach (var batch in Enumerable.Range(0, S3Connector.PageSize + 5).Chunk(8))
        {
            await Task.WhenAll(batch.Select(i => bucket.PutAsync($"k/{i:D5}.txt", "x")));
        }

        var pages = new List<SourcePage>();
        var gate = new CountingGate();
        await foreach (var page in bucket.Connector.EnumerateAsync(bucket.Context() with { Requests = gate }, CancellationToken.None))
        {
            pages.Add(page);
        }

        Assert.True(pages.Count >= 2, $"{pages.Count} page(s)");
        // The credential's request budget is asked before every ListObjectsV2, and before the HEAD of each new object.
        Assert.Equal(pages.Count + S3Connector.PageSize + 5, gate.Waits);
        Assert.Equal(S3Connector.PageSize + 6, pages.Sum(p => p.Records.Count)); // + the folder k/
        Assert.Equal(pages.SelectMany(p => p.Records).Count(), pages.SelectMany(p => p.Records).Select(r => r.ExternalId).Distinct().Count());
    }

    /// <summary>A request gate that lets everything through and counts how often it was asked.</summary>
    private sealed class CountingGate : IRequestGate
    {
        private int _waits;

        public int Waits => _waits;

        public ValueTask WaitAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref _waits);
            return ValueTask.CompletedTask;
        }
    }
}
