namespace GrpcSync.Connectors.S3.Tests;

/// <summary>What s3rver answers, as the engine's source exceptions.</summary>
public sealed class ErrorTests
{
    private static async Task<Exception> ListFailure(TestBucket bucket, SourceContext context) =>
        await Assert.ThrowsAnyAsync<Exception>(async () => await bucket.EnumerateAsync(context));

    [Fact]
    public async Task AnUnknownAccessKey_IsCredentialRejected()
    {
        await using var bucket = await TestBucket.CreateAsync();

        var error = Assert.IsType<PermanentSourceException>(await ListFailure(bucket, bucket.Context(secret: bucket.Secret(accessKeyId: "NOT-A-KEY"))));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
        Assert.DoesNotContain("S3RVER", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingBucket_IsBucketNotFound()
    {
        await using var bucket = await TestBucket.CreateAsync();

        var error = Assert.IsType<PermanentSourceException>(await ListFailure(bucket, bucket.Context(bucket: "no-such-bucket-here")));

        Assert.Equal("BUCKET_NOT_FOUND", error.Code);
        Assert.Contains("no-such-bucket-here", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEndpointOutsideTheAllowList_IsRefusedBeforeAnyRequest()
    {
        await using var bucket = await TestBucket.CreateAsync();
        using var connector = new S3Connector(new S3ConnectorOptions()); // the default: AWS only

        var error = await Assert.ThrowsAsync<PermanentSourceException>(async () =>
        {
            await foreach (var _ in connector.EnumerateAsync(bucket.Context(), CancellationToken.None))
            {
            }
        });

        Assert.Equal("ENDPOINT_NOT_ALLOWED", error.Code);
    }

    [Fact]
    public async Task AWildcardEntry_DoesNotLetTheEndpointResolveToLoopback()
    {
        await using var bucket = await TestBucket.CreateAsync();
        // "*" matches the one-label host "localhost", but only an exact entry may be private: checked at connect time.
        using var connector = new S3Connector(new S3ConnectorOptions { AllowedEndpoints = [$"http://*:{bucket.Server.Port}"] });
        var context = bucket.Context(secret: bucket.Secret(endpoint: $"http://localhost:{bucket.Server.Port}"));

        var error = await Assert.ThrowsAsync<PermanentSourceException>(async () =>
        {
            await foreach (var _ in connector.EnumerateAsync(context, CancellationToken.None))
            {
            }
        });

        Assert.Equal("ENDPOINT_NOT_ALLOWED", error.Code);
        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingListening_IsTransient()
    {
        await using var bucket = await TestBucket.CreateAsync();
        var port = GrpcSync.Testing.Processes.LoopbackPorts.OneFree();
        using var connector = new S3Connector(new S3ConnectorOptions { AllowedEndpoints = [$"http://127.0.0.1:{port}"] });
        var context = bucket.Context(secret: bucket.Secret(endpoint: $"http://127.0.0.1:{port}"));

        await Assert.ThrowsAsync<TransientSourceException>(async () =>
        {
            await foreach (var _ in connector.EnumerateAsync(context, CancellationToken.None))
            {
            }
        });
    }
}
