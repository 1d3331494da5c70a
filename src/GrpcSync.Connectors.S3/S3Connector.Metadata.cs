using System.Net;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace GrpcSync.Connectors.S3;

// Metadata: the Content-Type and SHA-256 checksum of new and changed objects, which ListObjectsV2 does not carry
// (one HeadObject each; unchanged objects cost nothing, the engine already holds their record).
public sealed partial class S3Connector
{
    /// <summary>Content-Types that say nothing about the object (what stores set when the uploader sent none).</summary>
    private static readonly HashSet<string> GenericContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/octet-stream", "binary/octet-stream", "application/x-www-form-urlencoded",
    };

    /// <summary>
    /// Replaces, in <paramref name="records"/>, the listing's record of each object whose fingerprint the Sync does
    /// not hold with one that has the object's own Content-Type and checksum, HEADing up to
    /// <see cref="S3ConnectorOptions.MetadataConcurrency"/> objects at once. An object gone since the listing is
    /// dropped from the page (a FULL run then tombstones it, as it would have on the next listing).
    /// </summary>
    private async Task CompleteChangedObjectsAsync(AmazonS3Client client, SourceContext context, string bucket,
        List<SourceRecord> records, IReadOnlyList<int> objectIndexes, CancellationToken ct)
    {
        if (!_readObjectMetadata || objectIndexes.Count == 0)
        {
            return;
        }
        var known = await context.Known.FingerprintsAsync(objectIndexes.Select(i => records[i].ExternalId).ToArray(), ct).ConfigureAwait(false);
        var changed = objectIndexes
            .Where(i => !known.TryGetValue(records[i].ExternalId, out var stored) || !string.Equals(stored, records[i].Fingerprint, StringComparison.Ordinal))
            .ToArray();
        if (changed.Length == 0)
        {
            return;
        }

        var completed = new SourceRecord?[changed.Length];
        var gone = new bool[changed.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, changed.Length),
            new ParallelOptions { MaxDegreeOfParallelism = _metadataConcurrency, CancellationToken = ct },
            async (n, token) =>
            {
                var record = records[changed[n]];
                var metadata = await HeadAsync(client, context, bucket, record.ExternalId, token).ConfigureAwait(false);
                if (metadata is null)
                {
                    gone[n] = true;
                    return;
                }
                completed[n] = WithMetadata(record, metadata);
            }).ConfigureAwait(false);

        for (var n = changed.Length - 1; n >= 0; n--)
        {
            if (gone[n])
            {
                records.RemoveAt(changed[n]); // from the back, so earlier indexes stay valid
            }
            else if (completed[n] is { } record)
            {
                records[changed[n]] = record;
            }
        }
    }

    /// <summary>
    /// The object's HEAD (with its checksum), or null when it no longer exists. A key allowed to list but not to
    /// read objects (403) keeps the listing's fields rather than failing the run: the response is then an empty one.
    /// </summary>
    private static async Task<GetObjectMetadataResponse?> HeadAsync(AmazonS3Client client, SourceContext context, string bucket,
        string key, CancellationToken ct)
    {
        await context.Requests.WaitAsync(ct).ConfigureAwait(false); // HEADs count against the credential's budget too
        try
        {
            return await client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = bucket, Key = key, ChecksumMode = ChecksumMode.ENABLED }, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.Forbidden)
        {
            return new GetObjectMetadataResponse();
        }
        catch (Exception error) when (error is AmazonServiceException or AmazonClientException or HttpRequestException or IOException
                                      || (error is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw Translate(error, bucket);
        }
    }

    /// <summary>
    /// The listing's record with <c>mimeType</c> from a Content-Type that says something (its parameters dropped) and
    /// <c>hash.sha256</c> (hex, as the filesystem connector writes it) from a whole-object SHA-256 checksum; a
    /// multipart upload's composite checksum is a hash of part hashes, not the content's, and is left out.
    /// The fingerprint stays the listing's, so the next run finds the record unchanged.
    /// </summary>
    private static SourceRecord WithMetadata(SourceRecord record, GetObjectMetadataResponse metadata)
    {
        var fields = (JsonObject)record.Fields.DeepClone();
        var contentType = MediaTypeOf(metadata.Headers.ContentType);
        if (contentType is not null && !GenericContentTypes.Contains(contentType))
        {
            fields["mimeType"] = contentType;
        }
        if (Sha256Hex(metadata) is { } sha256 && fields["hash"] is JsonObject hash)
        {
            hash["sha256"] = sha256;
        }
        return record with { Fields = fields };
    }

    private static string? MediaTypeOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var media = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
        return media.Contains('/', StringComparison.Ordinal) ? media : null;
    }

    private static string? Sha256Hex(GetObjectMetadataResponse metadata)
    {
        var value = metadata.ChecksumSHA256;
        if (string.IsNullOrEmpty(value) || value.Contains('-', StringComparison.Ordinal)
            || metadata.ChecksumType == ChecksumType.COMPOSITE)
        {
            return null;
        }
        var bytes = new byte[32];
        return Convert.TryFromBase64String(value, bytes, out var written) && written == 32 ? Convert.ToHexStringLower(bytes) : null;
    }
}
