using System.Buffers;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace GrpcSync.Server.Rest;

/// <summary>
/// A REST response body held back until <see cref="ErrorShapeMiddleware"/> lets it go, decided at the first write:
/// <list type="bullet">
/// <item>an error response (status 400 or more): held, so the middleware can check its shape before it leaves;</item>
/// <item>the answer of a unary transcoded method: held in a pooled buffer and sent by the middleware in one write
/// with <c>Content-Length</c>. Transcoding's JSON writer flushes after writing, which on HTTP/2 sends the DATA frame
/// on its own and the end of the stream in a second send, and on HTTP/1.1 sends a chunk and then the last chunk:
/// two socket sends per answer where gRPC makes one (the profile of REST GET over h2c showed them);</item>
/// <item>anything else (server streaming, record content, non-API routes): passed straight through.</item>
/// </list>
/// A held answer that outgrows <see cref="MaxHeld"/> is let through as it is (what was held first, then the rest).
/// </summary>
internal sealed class ErrorHoldingStream(Stream inner, HttpContext context) : Stream
{
    /// <summary>Error bodies and most answers are small; a larger one is let through as it is.</summary>
    public const int MaxHeld = 64 * 1024;

    private MemoryStream? _held;
    private byte[]? _answer;
    private int _answerLength;
    private bool _decided;

    /// <summary>The held-back error body, or null when the response went through.</summary>
    public MemoryStream? Held => _held;

    /// <summary>The held error body outgrew <see cref="MaxHeld"/> and was cut.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Whether anything reached the client's stream.</summary>
    public bool PassedAny { get; private set; }

    /// <summary>The held answer of a unary method (not an error), for the middleware to send in one write.</summary>
    public ReadOnlySpan<byte> HeldAnswer => _answer.AsSpan(0, _answerLength);

    public bool HoldsAnswer => _answer is not null;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (HoldError(buffer.Length))
        {
            if (!Overflowed)
            {
                _held!.Write(buffer);
            }
            return;
        }
        if (TryHoldAnswer(buffer))
        {
            return;
        }
        if (_answer is not null)
        {
            inner.Write(HeldAnswer);
            ReleaseAnswer();
        }
        PassedAny |= buffer.Length > 0;
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (HoldError(buffer.Length))
        {
            if (!Overflowed)
            {
                _held!.Write(buffer.Span);
            }
            return ValueTask.CompletedTask;
        }
        if (TryHoldAnswer(buffer.Span))
        {
            return ValueTask.CompletedTask;
        }
        PassedAny |= buffer.Length > 0;
        return _answer is null ? inner.WriteAsync(buffer, cancellationToken) : SpillThenWriteAsync(buffer, cancellationToken);
    }

    public override void Flush()
    {
        if (_held is null && _answer is null)
        {
            inner.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _held is null && _answer is null ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Gives the held answer's buffer back to the pool (after the middleware sent it, or when it spilled).</summary>
    public void ReleaseAnswer()
    {
        if (_answer is { } buffer)
        {
            _answer = null;
            _answerLength = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override void Dispose(bool disposing)
    {
        ReleaseAnswer();
        base.Dispose(disposing);
    }

    private async ValueTask SpillThenWriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var held = _answer!;
        var length = _answerLength;
        _answer = null;
        _answerLength = 0;
        try
        {
            await inner.WriteAsync(held.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(held);
        }
        await inner.WriteAsync(buffer, cancellationToken);
    }

    /// <summary>Decides at the first write. Past <see cref="MaxHeld"/> the rest is dropped: the middleware then writes its own body.</summary>
    private bool HoldError(int count)
    {
        if (!_decided)
        {
            _decided = true;
            var response = context.Response;
            if (response.StatusCode >= 400 && !response.HasStarted)
            {
                _held = new MemoryStream();
            }
            else if (!response.HasStarted && IsUnaryAnswer(context))
            {
                _answer = ArrayPool<byte>.Shared.Rent(Math.Max(count, 4096));
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

    /// <summary>Appends to the held answer while it stays within <see cref="MaxHeld"/>; false once it would not (the caller spills).</summary>
    private bool TryHoldAnswer(ReadOnlySpan<byte> buffer)
    {
        if (_answer is null || _answerLength + buffer.Length > MaxHeld)
        {
            return false;
        }
        if (_answerLength + buffer.Length > _answer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(MaxHeld, Math.Max(_answer.Length * 2, _answerLength + buffer.Length)));
            _answer.AsSpan(0, _answerLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_answer);
            _answer = larger;
        }
        buffer.CopyTo(_answer.AsSpan(_answerLength));
        _answerLength += buffer.Length;
        return true;
    }

    /// <summary>A transcoded method with one answer; streams (events, record content) must leave as they are written.</summary>
    private static bool IsUnaryAnswer(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>()?.MethodDescriptor is { IsServerStreaming: false };
}
