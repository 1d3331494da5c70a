using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GrpcSync.Connectors.S3.Tests;

/// <summary>
/// The fields ListObjectsV2 lacks (Content-Type, the SHA-256 checksum), read with one HEAD for each new or changed
/// object only: against s3rver, and against a scripted endpoint for the checksums s3rver does not keep.
/// </summary>
public sealed class MetadataTests
{
    /// <summary>The Sync's stored fingerprints as a test sets them.</summary>
    private sealed class FixedKnownRecords(IReadOnlyDictionary<string, string> fingerprints) : IKnownRecords
    {
        public List<string> Asked { get; } = [];

        public Task<IReadOnlyDictionary<string, string>> FingerprintsAsync(IReadOnlyCollection<string> externalIds, CancellationToken ct)
        {
            Asked.AddRange(externalIds);
            return Task.FromResult(fingerprints);
        }
    }

    [Fact]
    public async Task ANewObject_GetsItsContentType_AndAGenericOneFallsBackToTheExtension()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("data/report.bin", "a,b\n", "text/csv; charset=utf-8");
        await bucket.PutAsync("notes.txt", "hi", "binary/octet-stream");
        await bucket.PutAsync("photo.jpg", "not really a jpeg", "image/PNG");

        var records = (await bucket.EnumerateAsync()).ToDictionary(r => r.ExternalId);

        Assert.Equal("text/csv", (string?)records["data/report.bin"].Fields["mimeType"]); // parameters dropped
        Assert.Equal("text/plain", (string?)records["notes.txt"].Fields["mimeType"]);     // generic: the extension's
        Assert.Equal("image/png", (string?)records["photo.jpg"].Fields["mimeType"]);      // the object's own, lower case
        Assert.Equal("inode/directory", (string?)records["data/"].Fields["mimeType"]);
    }

    [Fact]
    public async Task AnObjectTheSyncHoldsUnchanged_IsNotHeaded()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("kept.bin", "same", "text/csv");
        await bucket.PutAsync("changed.bin", "new", "text/csv");
        var listed = (await bucket.EnumerateAsync()).ToDictionary(r => r.ExternalId);
        var known = new FixedKnownRecords(new Dictionary<string, string>
        {
            ["kept.bin"] = listed["kept.bin"].Fingerprint,
            ["changed.bin"] = "an older version",
        });

        var records = (await bucket.EnumerateAsync(bucket.Context() with { Known = known })).ToDictionary(r => r.ExternalId);

        // Only the changed object was HEADed: the unchanged one keeps the listing's fields, which the engine will not
        // write anyway (same fingerprint as stored).
        Assert.Equal("application/octet-stream", (string?)records["kept.bin"].Fields["mimeType"]);
        Assert.Equal(listed["kept.bin"].Fingerprint, records["kept.bin"].Fingerprint);
        Assert.Equal("text/csv", (string?)records["changed.bin"].Fields["mimeType"]);
        Assert.Equal(["changed.bin", "kept.bin"], known.Asked.Order(StringComparer.Ordinal)); // files only, not folders
    }

    [Fact]
    public async Task WithObjectMetadataOff_NoObjectIsHeaded()
    {
        await using var bucket = await TestBucket.CreateAsync();
        await bucket.PutAsync("report.bin", "a,b\n", "text/csv");
        using var connector = new S3Connector(new S3ConnectorOptions { AllowedEndpoints = [bucket.Server.Endpoint.ToString()], ReadObjectMetadata = false });

        var records = new List<SourceRecord>();
        await foreach (var page in connector.EnumerateAsync(bucket.Context(), CancellationToken.None))
        {
            records.AddRange(page.Records);
        }

        Assert.Equal("application/octet-stream", (string?)Assert.Single(records).Fields["mimeType"]);
    }

    // ---- checksums and HEAD failures: a scripted endpoint (s3rver keeps no checksums) ----

    private static readonly byte[] ContentSha256 = SHA256.HashData(Encoding.UTF8.GetBytes("whole object"));

    private static ScriptedResponse Listing(params string[] keys)
    {
        var contents = string.Concat(keys.Select(k =>
            $"<Contents><Key>{k}</Key><LastModified>2026-11-30T10:00:00.000Z</LastModified><ETag>&quot;e-{k}&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"));
        return new ScriptedResponse(200, new Dictionary<string, string> { ["Content-Type"] = "application/xml" },
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
            $"<Name>scripted</Name><Prefix></Prefix><KeyCount>{keys.Length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{contents}</ListBucketResult>");
    }

    private static ScriptedResponse Head(string contentType, params (string Name, string Value)[] headers)
    {
        var all = new Dictionary<string, string>
        {
            ["Content-Type"] = contentType, ["ETag"] = "\"e\"", ["Last-Modified"] = "Mon, 30 Nov 2026 10:00:00 GMT",
        };
        foreach (var (name, value) in headers)
        {
            all[name] = value;
        }
        return new ScriptedResponse(200, all, "");
    }

    private static async Task<List<SourceRecord>> ListScriptedAsync(ScriptedS3Endpoint source)
    {
        using var connector = new S3Connector(new S3ConnectorOptions { AllowedEndpoints = [source.Endpoint.ToString()] });
        var secret = JsonSerializer.Serialize(new { accessKeyId = "a", secretAccessKey = "s", region = "us-east-1", endpoint = source.Endpoint.ToString() });
        var context = new SourceContext("files", JsonSerializer.SerializeToElement(new { bucket = "scripted" }), secret);
        var records = new List<SourceRecord>();
        await foreach (var page in connector.EnumerateAsync(context, CancellationToken.None))
        {
            records.AddRange(page.Records);
        }
        return records;
    }

    [Fact]
    public async Task AWholeObjectSha256_IsTheRecordsHash_ACompositeOneIsNot_AndAVanishedObjectIsDropped()
    {
        await using var source = new ScriptedS3Endpoint(request => (request.Method, request.Target) switch
        {
            ("GET", _) => Listing("full.md", "parts.bin", "vanished.txt", "denied.txt"),
            ("HEAD", "/scripted/full.md") => Head("text/markdown",
                ("x-amz-checksum-sha256", Convert.ToBase64String(ContentSha256)), ("x-amz-checksum-type", "FULL_OBJECT")),
            ("HEAD", "/scripted/parts.bin") => Head("application/zip",
                ("x-amz-checksum-sha256", Convert.ToBase64String(ContentSha256) + "-3"), ("x-amz-checksum-type", "COMPOSITE")),
            ("HEAD", "/scripted/denied.txt") => new ScriptedResponse(403, new Dictionary<string, string>(), ""),
            _ => new ScriptedResponse(404, new Dictionary<string, string>(), ""),
        });

        var records = (await ListScriptedAsync(source)).ToDictionary(r => r.ExternalId);

        Assert.Equal(["denied.txt", "full.md", "parts.bin"], records.Keys.Order(StringComparer.Ordinal));
        var full = records["full.md"].Fields;
        Assert.Equal("text/markdown", (string?)full["mimeType"]);
        Assert.Equal(Convert.ToHexStringLower(ContentSha256), (string?)full["hash"]!["sha256"]);
        Assert.Equal("e-full.md", (string?)full["hash"]!["etag"]);
        var parts = records["parts.bin"].Fields;
        Assert.Equal("application/zip", (string?)parts["mimeType"]);
        Assert.Null(parts["hash"]!["sha256"]);
        // A key that may list but not read objects keeps the listing's fields instead of failing the run.
        Assert.Equal("text/plain", (string?)records["denied.txt"].Fields["mimeType"]);
        Assert.Null(records["denied.txt"].Fields["hash"]!["sha256"]);
    }

    [Fact]
    public async Task AThrottledHead_IsRateLimited()
    {
        await using var source = new ScriptedS3Endpoint(request => request.Method == "GET"
            ? Listing("a.txt")
            : new ScriptedResponse(503, new Dictionary<string, string>(), ""));

        var error = await Assert.ThrowsAsync<RateLimitedSourceException>(() => ListScriptedAsync(source));

        Assert.Equal(S3Connector.SlowDownBackoff, error.RetryAfter);
    }
}
