namespace GrpcSync.Connectors;

/// <summary>
/// A source's response body handed to the engine as <see cref="SourceContent"/>'s stream: read-only and forward-only,
/// it disposes what the body lives on (the HTTP response, the SDK client) when the reader disposes it, so a
/// download streams without the connector having to know when the caller is done.
/// </summary>
public sealed class OwningStream(Stream inner, params IDisposable[] owned) : ForwardReadStream
{
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

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
