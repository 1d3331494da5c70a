namespace GrpcSync.Connectors.S3.Tests;

/// <summary>The allow-list's matching rules (URL prefixes, hosts, one-label wildcards, which entries may be private).</summary>
public sealed class EndpointTests
{
    [Theory]
    [InlineData("https://s3.amazonaws.com", true)]
    [InlineData("https://s3.eu-west-1.amazonaws.com", true)]
    [InlineData("https://s3.eu-west-1.amazonaws.com/", true)]
    [InlineData("https://S3.EU-WEST-1.amazonaws.com", true)]
    [InlineData("https://evil.s3.eu-west-1.amazonaws.com.attacker.net", false)]
    [InlineData("https://s3.a.b.amazonaws.com", false)] // '*' is one label
    [InlineData("http://s3.eu-west-1.amazonaws.com", false)]
    [InlineData("https://s3.eu-west-1.amazonaws.com:8443", false)]
    [InlineData("https://minio.internal", false)]
    public void TheDefaults_AllowAwsRegionalEndpointsOnly(string endpoint, bool allowed)
    {
        var decision = new S3Endpoints([]).Check(new Uri(endpoint));

        Assert.Equal(allowed, decision.Allowed);
        Assert.False(decision.PrivateAddressesAllowed);
    }

    [Fact]
    public void AHostEntry_AllowsHttpsOnAnyPort_AndMayBePrivate()
    {
        var endpoints = new S3Endpoints(["minio.internal"]);

        Assert.True(endpoints.Check(new Uri("https://minio.internal:9000")).PrivateAddressesAllowed);
        Assert.False(endpoints.Check(new Uri("http://minio.internal:9000")).Allowed);
    }

    [Fact]
    public void AUrlEntry_MatchesSchemeHostPortAndPathPrefixBySegment()
    {
        var endpoints = new S3Endpoints(["http://10.0.0.5:9000/s3"]);

        Assert.True(endpoints.Check(new Uri("http://10.0.0.5:9000/s3")).Allowed);
        Assert.True(endpoints.Check(new Uri("http://10.0.0.5:9000/s3/tenant")).Allowed);
        Assert.False(endpoints.Check(new Uri("http://10.0.0.5:9000/s3x")).Allowed);
        Assert.False(endpoints.Check(new Uri("http://10.0.0.5:9001/s3")).Allowed);
        Assert.False(endpoints.Check(new Uri("https://10.0.0.5:9000/s3")).Allowed);
    }

    [Fact]
    public void AWildcard_NeverMatchesAnIpLiteral() =>
        Assert.False(new S3Endpoints(["https://*.*.*.*"]).Check(new Uri("https://10.0.0.1")).Allowed);

    [Fact]
    public void AnExactEntry_WinsOverAWildcardOne_ForThePrivateRule() =>
        Assert.True(new S3Endpoints(["https://*.example.com", "https://s3.example.com"]).Check(new Uri("https://s3.example.com")).PrivateAddressesAllowed);
}
