using System.Text.Json;

namespace GrpcSync.Connectors.S3.Tests;

/// <summary>A throttled or failing source, as RATE_LIMITED or a transient retry (a loopback server answering S3 errors).</summary>
public sealed class ThrottlingTests
{
    private static async Task<Exception> ListFailure(ScriptedS3Endpoint source)
    {
        using var connector = new S3Connector(new S3ConnectorOptions { AllowedEndpoints = [source.Endpoint.ToString()] });
        var secret = JsonSerializer.Serialize(new { accessKeyId = "a", secretAccessKey = "s", region = "us-east-1", endpoint = source.Endpoint.ToString() });
        var context = new SourceContext("files", JsonSerializer.SerializeToElement(new { bucket = "throttled" }), secret);
        return await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in connector.EnumerateAsync(context, CancellationToken.None))
            {
            }
        });
    }

    [Theory]
    [InlineData(503, "SlowDown")]
    [InlineData(429, "TooManyRequests")]
    [InlineData(503, "ServiceUnavailable")]
    public async Task AThrottledSource_IsRateLimited_WithTheBackoff(int status, string code)
    {
        await using var source = new ScriptedS3Endpoint(status, code);

        var error = Assert.IsType<RateLimitedSourceException>(await ListFailure(source));

        Assert.Equal(S3Connector.SlowDownBackoff, error.RetryAfter);
        Assert.True(source.Requests >= 1);
    }

    [Fact]
    public async Task AnInternalError_IsTransient()
    {
        await using var source = new ScriptedS3Endpoint(500, "InternalError");

        Assert.IsType<TransientSourceException>(await ListFailure(source));
    }

    [Fact]
    public async Task AccessDenied_IsCredentialRejected()
    {
        await using var source = new ScriptedS3Endpoint(403, "AccessDenied");

        Assert.Equal("CREDENTIAL_REJECTED", Assert.IsType<PermanentSourceException>(await ListFailure(source)).Code);
    }

    [Fact]
    public async Task SignatureDoesNotMatch_IsCredentialRejected()
    {
        await using var source = new ScriptedS3Endpoint(403, "SignatureDoesNotMatch");

        Assert.Equal("CREDENTIAL_REJECTED", Assert.IsType<PermanentSourceException>(await ListFailure(source)).Code);
    }
}
