using GrpcSync.Connectors;
using GrpcSync.Engine.Budgets;
using GrpcSync.Engine.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GrpcSync.Engine.Tests;

/// <summary>The steady request budget per credential: a token bucket on the injected clock, and its configuration.</summary>
public class TokenBucketTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_full_bucket_lets_one_seconds_worth_go_at_once_then_spaces_the_rest_by_the_rate()
    {
        var bucket = new TokenBucket(4, _time);

        for (var i = 0; i < 4; i++)
        {
            Assert.True(bucket.WaitAsync(CancellationToken.None).IsCompleted, $"request {i + 1} of the burst waited");
        }
        var fifth = bucket.WaitAsync(CancellationToken.None).AsTask();
        var sixth = bucket.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(fifth.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(fifth.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await fifth.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(sixth.IsCompleted); // its token comes a quarter of a second later
        _time.Advance(TimeSpan.FromMilliseconds(250));
        await sixth.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void An_idle_bucket_refills_up_to_its_burst_and_no_more()
    {
        var bucket = new TokenBucket(2, _time);
        Assert.True(bucket.WaitAsync(CancellationToken.None).IsCompleted);
        Assert.True(bucket.WaitAsync(CancellationToken.None).IsCompleted);
        Assert.Equal(0, bucket.Tokens, 6);

        _time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(2, bucket.Tokens, 6);
    }

    [Fact]
    public void A_rate_below_one_a_second_still_lets_one_request_go()
    {
        var bucket = new TokenBucket(0.5, _time);

        Assert.True(bucket.WaitAsync(CancellationToken.None).IsCompleted);
        Assert.False(bucket.WaitAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public void Runs_on_one_credential_share_its_bucket_other_credentials_have_their_own()
    {
        var gates = new CredentialRateGates(new ConnectorBudgets(new Dictionary<string, ConnectorBudgetOptions>
        {
            ["s3"] = new() { RequestsPerSecondPerCredential = 10 },
        }), _time);
        var credential = Guid.NewGuid();

        Assert.Same(gates.For(credential, "s3"), gates.For(credential, "S3"));
        Assert.NotSame(gates.For(credential, "s3"), gates.For(Guid.NewGuid(), "s3"));
        Assert.Same(RequestGate.Unlimited, gates.For(credential, "filesystem"));
    }

    [Fact]
    public void Budgets_are_read_per_integration_from_the_connectors_section_with_defaults_for_the_rest()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GrpcSync:Connectors:S3:MaxRunsPerCredential"] = "5",
            ["GrpcSync:Connectors:S3:RequestsPerSecondPerCredential"] = "12.5",
            ["GrpcSync:Connectors:Filesystem:AllowedRoots:0"] = "/data", // the connector's own setting: ignored here
        }).Build();

        var budgets = ConnectorBudgets.FromConfiguration(configuration);

        Assert.Equal(5, budgets.MaxRunsPerCredential("s3"));
        Assert.Equal(12.5, budgets.For("s3").RequestsPerSecondPerCredential);
        Assert.Equal(2, budgets.MaxRunsPerCredential("filesystem"));
        Assert.Equal(0, budgets.For("filesystem").RequestsPerSecondPerCredential);
        Assert.Equal(2, budgets.MaxRunsPerCredential("unknown"));
    }

    [Theory]
    [InlineData("MaxRunsPerCredential", "0")]
    [InlineData("RequestsPerSecondPerCredential", "-1")]
    public void A_bad_budget_stops_the_start_naming_the_setting(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"GrpcSync:Connectors:s3:{key}"] = value,
        }).Build();

        var error = Assert.Throws<OptionsValidationException>(() => ConnectorBudgets.FromConfiguration(configuration));

        Assert.Contains($"GrpcSync:Connectors:s3:{key}", error.Message, StringComparison.Ordinal);
    }
}
