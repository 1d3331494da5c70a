using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace GrpcSync.Connectors.S3;

// Download: the bytes of one object, streamed from GetObject as they arrive.
public sealed partial class S3Connector
{
    private async Task<SourceContent> DownloadObjectAsync(SourceContext context, string externalId, CancellationToken ct)
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
            var response = await client.GetObjectAsync(new GetObjectRequest { BucketName = configuration.Bucket, Key = externalId }, ct).ConfigureAwait(false);
            var contentType = string.IsNullOrEmpty(response.Headers.ContentType) ? FileMimeTypes.ForFileName(NameOf(externalId)) : response.Headers.ContentType;
            return new SourceContent(contentType, new OwningStream(response.ResponseStream, response, client));
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

    /// <summary>The object's response stream, which disposes the SDK response and client when the caller is done with it.</summary>
    private sealed class OwningStream(Stream inner, params IDisposable[] owned) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                foreach (var item in owned)
                {
                    item.Dispose();
                }
            }
            base.Dispose(disposing);
        }
    }
}
