namespace GrpcSync.Connectors.GoogleDrive.Tests;

/// <summary>Drive's failures as the lifecycle needs them: RATE_LIMITED (429, 403 rate-limit reasons), transient 5xx, permanent others.</summary>
public sealed class ErrorTests() : DriveTest(TestStore.Sqlite)
{
    private async Task<Exception> ListFailureAsync()
    {
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);
        return await Assert.ThrowsAnyAsync<Exception>(async () => await PagesAsync(W.Connector.EnumerateAsync(context, default)));
    }

    [Fact]
    public async Task A_429_with_retry_after_is_rate_limited_for_that_long_at_once()
    {
        W.Drive.FailNextApiCall(429, retryAfter: TimeSpan.FromSeconds(37));

        var limited = Assert.IsType<RateLimitedSourceException>(await ListFailureAsync());

        Assert.Equal(TimeSpan.FromSeconds(37), limited.RetryAfter);
        Assert.Single(W.Drive.Requests); // no retry in place: the engine holds the credential
    }

    [Fact]
    public async Task A_429_without_retry_after_is_retried_with_backoff_and_then_rate_limited()
    {
        W.Drive.FailNextApiCall(429);
        W.Drive.FailNextApiCall(429);

        var limited = Assert.IsType<RateLimitedSourceException>(await ListFailureAsync());

        Assert.Equal(2, W.Drive.Requests.Count); // the first try and one retry (RateLimitRetries = 1)
        Assert.True(limited.RetryAfter >= TimeSpan.FromMilliseconds(40), $"backoff {limited.RetryAfter} doubles the base delay");
    }

    [Fact]
    public async Task A_single_throttled_answer_is_absorbed_by_one_retry()
    {
        W.Drive.FailNextApiCall(403, "userRateLimitExceeded");
        W.Drive.Put("a", "a.txt", content: "a");
        var (credential, _) = await W.AddCredentialAsync();

        var pages = await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default));

        Assert.Equal("a", Assert.Single(pages.SelectMany(p => p.Records)).ExternalId);
    }

    [Theory]
    [InlineData("rateLimitExceeded")]
    [InlineData("userRateLimitExceeded")]
    public async Task A_403_with_a_rate_limit_reason_is_rate_limited(string reason)
    {
        W.Drive.FailNextApiCall(403, reason);
        W.Drive.FailNextApiCall(403, reason);

        Assert.IsType<RateLimitedSourceException>(await ListFailureAsync());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task A_5xx_is_transient(int status)
    {
        W.Drive.FailNextApiCall(status);

        Assert.IsType<TransientSourceException>(await ListFailureAsync());
    }

    [Fact]
    public async Task A_403_without_a_rate_limit_reason_is_access_denied()
    {
        W.Drive.FailNextApiCall(403, "insufficientFilePermissions");

        Assert.Equal("ACCESS_DENIED", Assert.IsType<PermanentSourceException>(await ListFailureAsync()).Code);
    }

    [Fact]
    public async Task An_unreachable_drive_is_transient()
    {
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);
        await PagesAsync(W.Connector.ChangesSinceAsync(context, null, default)); // token obtained
        var options = W.Options;
        options.ApiBaseUrl = new Uri("http://127.0.0.1:1");
        using var unreachable = W.NewConnector(options);

        await Assert.ThrowsAsync<TransientSourceException>(async () => await PagesAsync(unreachable.EnumerateAsync(context, default)));
    }
}
