using System.Globalization;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ByteRange = GrpcSync.Connectors.ByteRange;
using S3ByteRange = Amazon.S3.Model.ByteRange;

namespace GrpcSync.Connectors.S3;

// Download: the bytes of one object (or one range of it, served by S3), streamed from GetObject as they arrive.
public sealed partial class S3Connector
{
    private async Task<SourceContent> DownloadObjectAsync(SourceContext context, string externalId, ByteRange? range, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(externalId);
        var (configuration, credentials) = ResolveScope(context);
        if (!externalId.StartsWith(configuration.Prefix, StringComparison.Ordinal))
        {
            throw new PermanentSourceException("FORBIDDEN", "The object is outside the Sync's prefix.");
        }
        if (externalId.EndsWith('/'))
        {
            throw new PermanentSourceException("NOT_FOUND", "The id designates a folder, which has no content.");
        }

        var client = CreateClient(credentials);
        try
        {
            var request = new GetObjectRequest { BucketName = configuration.Bucket, Key = externalId };
            if (range is { } asked)
            {
                await AskForRangeAsync(client, request, asked, ct).ConfigureAwait(false);
            }
            var response = await client.GetObjectAsync(request, ct).ConfigureAwait(false);
            var contentType = string.IsNullOrEmpty(response.Headers.ContentType) ? FileMimeTypes.ForFileName(NameOf(externalId)) : response.Headers.ContentType;
            return new SourceContent(contentType, new OwningStream(response.ResponseStream, response, client))
            {
                Length = response.ContentLength >= 0 ? response.ContentLength : null,
                // A store that ignored the range answers 200 with the whole object and no Content-Range.
                Range = range is not null && response.HttpStatusCode == HttpStatusCode.PartialContent ? ParseContentRange(response.ContentRange) : null,
            };
        }
        catch (AmazonS3Exception error) when (range is not null && (error.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable || error.ErrorCode == "InvalidRange"))
        {
            var length = await LengthOrNullAsync(client, configuration.Bucket, externalId, ct).ConfigureAwait(false);
            client.Dispose();
            throw new RangeNotSatisfiableException(length);
        }
        catch (AmazonS3Exception error) when (error.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            client.Dispose();
            throw new TransientSourceException("The object changed while its range was being read; ask again.", error);
        }
        catch (AmazonS3Exception error) when (IsNotFound(error))
        {
            client.Dispose();
            throw new PermanentSourceException("NOT_FOUND", "The object no longer exists.");
        }
        catch (Exception error) when (error is AmazonServiceException or AmazonClientException or HttpRequestException or IOException
                                      || (error is OperationCanceledException && !ct.IsCancellationRequested))
        {
            client.Dispose();
            throw Translate(error, configuration.Bucket);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Puts the range on the GetObject request, so S3 serves only those bytes. A suffix range (the last n bytes)
    /// is turned into an explicit one with the object's length from HeadObject, because not every S3-compatible
    /// store reads <c>bytes=-n</c> (s3rver serves the first n); the ETag then pins the read to the object measured.
    /// </summary>
    private static async Task AskForRangeAsync(AmazonS3Client client, GetObjectRequest request, ByteRange asked, CancellationToken ct)
    {
        if (!asked.IsSuffix)
        {
            request.ByteRange = new S3ByteRange(asked.ToString());
            return;
        }
        var head = await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = request.BucketName, Key = request.Key }, ct).ConfigureAwait(false);
        var (first, last) = asked.Resolve(head.ContentLength) ?? throw new RangeNotSatisfiableException(head.ContentLength);
        request.ByteRange = new S3ByteRange(first, last);
        request.EtagToMatch = head.ETag;
    }

    /// <summary>The object's length, for the 416 answer's <c>Content-Range: bytes */n</c>; null when S3 will not say.</summary>
    private static async Task<long?> LengthOrNullAsync(AmazonS3Client client, string bucket, string key, CancellationToken ct)
    {
        try
        {
            return (await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, ct).ConfigureAwait(false)).ContentLength;
        }
        catch (Exception error) when (error is AmazonServiceException or AmazonClientException or HttpRequestException or IOException)
        {
            return null;
        }
    }

    /// <summary>Reads <c>bytes first-last/total</c> (total may be <c>*</c>); null when the header is missing or malformed.</summary>
    internal static ServedRange? ParseContentRange(string? value)
    {
        if (value is null || !value.StartsWith("bytes ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var parts = value[6..].Trim().Split('/');
        var bounds = parts[0].Split('-');
        if (parts.Length != 2 || bounds.Length != 2
            || !long.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !long.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last) || last < first)
        {
            return null;
        }
        long? total = long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
        return new ServedRange(first, last, total);
    }
}
