using System.Text.Json;

namespace GrpcSync.Connectors.S3.Tests;

/// <summary>The credential's shape (at creation) and its verification against the source.</summary>
public sealed class CredentialTests
{
    private static IReadOnlyList<ConfigurationProblem> Check(string json, params string[] allowed)
    {
        using var connector = new S3Connector(new S3ConnectorOptions { AllowedEndpoints = [.. allowed] });
        using var document = JsonDocument.Parse(json);
        return connector.ValidateSecret(document.RootElement);
    }

    [Fact]
    public void AnAwsCredential_WithoutEndpoint_IsValidByDefault() =>
        Assert.Empty(Check("""{"accessKeyId":"AKIA","secretAccessKey":"s","region":"eu-west-1"}"""));

    [Fact]
    public void AnExplicitAwsRegionalEndpoint_IsValidByDefault() =>
        Assert.Empty(Check("""{"accessKeyId":"AKIA","secretAccessKey":"s","region":"eu-west-1","endpoint":"https://s3.eu-west-1.amazonaws.com"}"""));

    [Theory]
    [InlineData("""{"secretAccessKey":"s","region":"r1"}""", "secret.accessKeyId")]
    [InlineData("""{"accessKeyId":"a","region":"r1"}""", "secret.secretAccessKey")]
    [InlineData("""{"accessKeyId":"a","secretAccessKey":"s"}""", "secret.region")]
    [InlineData("""{"accessKeyId":5,"secretAccessKey":"s","region":"r1"}""", "secret.accessKeyId")]
    [InlineData("""{"accessKeyId":"","secretAccessKey":"s","region":"r1"}""", "secret.accessKeyId")]
    [InlineData("""{"accessKeyId":"a","secretAccessKey":"s","region":"EU West"}""", "secret.region")]
    [InlineData("""{"accessKeyId":"a","secretAccessKey":"s","region":"r1","endpoint":"ftp://x"}""", "secret.endpoint")]
    [InlineData("""{"accessKeyId":"a","secretAccessKey":"s","region":"r1","endpoint":"https://u:p@s3.r1.amazonaws.com"}""", "secret.endpoint")]
    [InlineData("""{"accessKeyId":"a","secretAccessKey":"s","region":"r1","secretKey":"typo"}""", "secret.secretKey")]
    [InlineData(""" "a plain string" """, "secret")]
    public void AMissingOrIllTypedField_IsNamed(string json, string field) =>
        Assert.Contains(Check(json), p => p.Field == field);

    [Fact]
    public void EveryMissingField_IsNamedAtOnce()
    {
        var fields = Check("{}").Select(p => p.Field).ToArray();

        Assert.Equal(["secret.accessKeyId", "secret.secretAccessKey", "secret.region"], fields);
    }

    [Theory]
    [InlineData("http://169.254.169.254")]
    [InlineData("https://internal.example.com")]
    [InlineData("http://s3.eu-west-1.amazonaws.com")] // AWS, but not over HTTPS
    public void AnEndpointOutsideTheDefaultAllowList_IsRefused(string endpoint)
    {
        var problems = Check($$"""{"accessKeyId":"a","secretAccessKey":"s","region":"r1","endpoint":"{{endpoint}}"}""");

        var problem = Assert.Single(problems);
        Assert.Equal("secret.endpoint", problem.Field);
        Assert.Contains("AllowedEndpoints", problem.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void AListedPrivateEndpoint_IsAllowed() =>
        Assert.Empty(Check("""{"accessKeyId":"a","secretAccessKey":"s","region":"r1","endpoint":"http://127.0.0.1:9000"}""", "http://127.0.0.1:9000"));

    [Fact]
    public async Task Verify_WithGoodKeys_Passes()
    {
        await using var bucket = await TestBucket.CreateAsync();

        await bucket.Connector.VerifyAsync(bucket.Secret(), CancellationToken.None);
    }

    [Fact]
    public async Task Verify_WithAnUnknownKey_IsCredentialRejected()
    {
        await using var bucket = await TestBucket.CreateAsync();

        var error = await Assert.ThrowsAsync<PermanentSourceException>(() => bucket.Connector.VerifyAsync(bucket.Secret(accessKeyId: "NOPE"), CancellationToken.None));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }
}
