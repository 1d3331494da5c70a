namespace GrpcSync.Server.Rest;

/// <summary>A request body of unknown length (chunked) that stops with <see cref="RequestBodyTooLargeException"/> past the limit.</summary>
internal sealed class LimitedRequestBody(Stream inner, long limit) : Stream
{
    private long _read;

    /// <summary>The server's own body stream, to drain what is left after a refusal.</summary>
    public Stream Inner => inner;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int read)
    {
        _read += read;
        return _read > limit ? throw new RequestBodyTooLargeException() : read;
    }

    public override void Flush() => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>The request body outgrew <c>GrpcSync:Limits:MaxRequestBodyBytes</c>.</summary>
internal sealed class RequestBodyTooLargeException() : IOException("The request body is larger than the configured limit.");
