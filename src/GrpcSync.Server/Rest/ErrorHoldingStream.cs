namespace GrpcSync.Server.Rest;

/// <summary>
/// A response body that passes every write straight through, except for an error response (status 400 or
/// more when its first byte is written): that one is held back, so
/// <see cref="ErrorShapeMiddleware"/> can check its shape before it leaves.
/// </summary>
internal sealed class ErrorHoldingStream(Stream inner, HttpResponse response) : Stream
{
    /// <summary>Error bodies are small; a larger one is let through as it is.</summary>
    public const int MaxHeld = 64 * 1024;

    private MemoryStream? _held;
    private bool _decided;

    /// <summary>The held-back error body, or null when the response went through.</summary>
    public MemoryStream? Held => _held;

    /// <summary>The held error body outgrew <see cref="MaxHeld"/> and was cut.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Whether anything reached the client's stream.</summary>
    public bool PassedAny { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Hold(buffer.Length))
        {
            if (!Overflowed)
            {
                _held!.Write(buffer);
            }
            return;
        }
        PassedAny |= buffer.Length > 0;
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Hold(buffer.Length))
        {
            if (!Overflowed)
            {
                _held!.Write(buffer.Span);
            }
            return ValueTask.CompletedTask;
        }
        PassedAny |= buffer.Length > 0;
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush()
    {
        if (_held is null)
        {
            inner.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _held is null ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Decides at the first write. Past <see cref="MaxHeld"/> the rest is dropped: the middleware then writes its own body.</summary>
    private bool Hold(int count)
    {
        if (!_decided)
        {
            _decided = true;
            if (response.StatusCode >= 400 && !response.HasStarted)
            {
                _held = new MemoryStream();
            }
        }
        if (_held is null)
        {
            return false;
        }
        if (Overflowed || _held.Length + count > MaxHeld)
        {
            Overflowed = true;
            return true;
        }
        return true;
    }
}
