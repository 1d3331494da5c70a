using System.Text.Json;

namespace GrpcSync.Connectors.S3.Tests;

/// <summary>Enable-time checks of a Sync's configuration (no source call).</summary>
public sealed class ConfigurationTests
{
    private static readonly S3Connector Connector = new(new S3ConnectorOptions());

    private static IReadOnlyList<ConfigurationProblem> Check(string json, string pipeline = "files")
    {
        using var document = JsonDocument.Parse(json);
        return Connector.ValidateConfiguration(pipeline, document.RootElement.Clone());
    }

    [Theory]
    [InlineData("""{"bucket":"reports"}""")]
    [InlineData("""{"bucket":"my.data-lake-01","prefix":"reports/2026/"}""")]
    [InlineData("""{"bucket":"abc","prefix":""}""")]
    public void AValidConfiguration_HasNoProblems(string json) => Assert.Empty(Check(json));

    [Theory]
    [InlineData("""{}""", "configuration.bucket")]
    [InlineData("""{"prefix":"a/"}""", "configuration.bucket")]
    [InlineData("""{"bucket":"Upper"}""", "configuration.bucket")]
    [InlineData("""{"bucket":"ab"}""", "configuration.bucket")]
    [InlineData("""{"bucket":"a..b"}""", "configuration.bucket")]
    [InlineData("""{"bucket":7}""", "configuration.bucket")]
    [InlineData("""{"bucket":"abc","prefix":"/abs"}""", "configuration.prefix")]
    [InlineData("""{"bucket":"abc","prefix":3}""", "configuration.prefix")]
    [InlineData("""{"bucket":"abc","folder":"x"}""", "configuration.folder")]
    [InlineData("""[]""", "configuration")]
    [InlineData("""null""", "configuration")]
    public void ABadConfiguration_NamesTheField(string json, string field) =>
        Assert.Contains(Check(json), p => p.Field == field);

    [Fact]
    public void AnotherPipeline_IsRefused() => Assert.Contains(Check("""{"bucket":"abc"}""", "contacts"), p => p.Field == "pipeline");
}
