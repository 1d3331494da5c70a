namespace GrpcSync.Connectors.S3.Tests;

/// <summary>INCREMENTAL runs list again; only changed objects get a new fingerprint, so the engine writes only them.</summary>
public sealed class ChangesTests
{
    private static async Task<Dictionary<string, string>> FingerprintsAsync(TestBucket bucket)
    {
        var result = new Dictionary<string, string>();
        await foreach (var page in bucket.Connector.ChangesSinceAsync(bucket.Context(), cursor: null, CancellationToken.None))
        {
            foreach (var record in page.Records)
            {
                result[record.ExternalId] = record.Fingerprint;
            }
        }
        return result;
    }

    [Fact]
    public async Task AChangedObject_GetsANewFingerprint_OthersKeepTheirs()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("a.txt", "one");
        await bucket.PutAsync("dir/b.txt", "two");
        var before = await FingerprintsAsync(bucket);

        await bucket.PutAsync("a.txt", "one, changed");
        await bucket.PutAsync("dir/c.txt", "added");
        await bucket.DeleteAsync("dir/b.txt");
        var after = await FingerprintsAsync(bucket);

        Assert.NotEqual(before["a.txt"], after["a.txt"]);
        Assert.Equal(before["dir/"], after["dir/"]);
        Assert.Contains("dir/c.txt", after.Keys);
        Assert.DoesNotContain("dir/b.txt", after.Keys); // deletions are reconciled by FULL runs
    }

    [Fact]
    public async Task AnUnchangedBucket_KeepsEveryFingerprint()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("a.txt", "one");
        await bucket.PutAsync("dir/b.txt", "two");

        Assert.Equal(await FingerprintsAsync(bucket), await FingerprintsAsync(bucket));
    }
}
