namespace GrpcSync.Connectors.Filesystem.Tests;

/// <summary>The response-body stream S3 and Google Drive hand out (GrpcSync.Connectors.OwningStream).</summary>
public sealed class OwningStreamTests
{
    [Fact]
    public async Task Reads_pass_through_and_disposing_it_disposes_the_body_and_every_owner()
    {
        var body = new MemoryStream([1, 2, 3, 4, 5]);
        var response = new Owner();
        var client = new Owner();
        var stream = new OwningStream(body, response, client);

        var buffer = new byte[3];
        Assert.Equal(3, await stream.ReadAsync(buffer));
        Assert.Equal([1, 2, 3], buffer);
        Assert.Equal(2, stream.Read(buffer, 0, 3));
        Assert.False(response.Disposed, "An owner was disposed while the body was still being read.");

        await stream.DisposeAsync();

        Assert.True(response.Disposed && client.Disposed, "An owner outlived the stream.");
        Assert.Throws<ObjectDisposedException>(() => body.ReadByte());
    }

    [Fact]
    public void It_is_read_only_and_forward_only()
    {
        using var stream = new OwningStream(new MemoryStream([1]));

        Assert.True(stream.CanRead);
        Assert.False(stream.CanSeek || stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
    }

    private sealed class Owner : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
