
namespace GrpcSync.Connectors.Filesystem.Tests;

public sealed class ConfigurationTests
{
    private readonly FilesystemConnector _connector = new(new FilesystemConnectorOptions { AllowedRoots = ["/nonexistent-allowed-root"] });

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"folder":"docs"}""")]
    [InlineData("""{"folder":"docs/deep/.hidden dir"}""")]
    [InlineData("null")]
    public void A_valid_configuration_has_no_problems(string json)
    {
        Assert.Empty(_connector.ValidateConfiguration("files", TempTree.Json(json)));
    }

    [Fact]
    public void An_absent_configuration_has_no_problems()
    {
        Assert.Empty(_connector.ValidateConfiguration("files", default));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/etc")]
    [InlineData("a/../../b")]
    [InlineData("..")]
    [InlineData("a\\b")]
    [InlineData("..\\x")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("./a")]
    [InlineData("")]
    public void A_folder_that_is_not_a_plain_relative_path_is_rejected(string folder)
    {
        var problem = Assert.Single(_connector.ValidateConfiguration("files", TempTree.Configuration(folder)));

        Assert.Equal("configuration.folder", problem.Field);
    }

    [Fact]
    public void A_folder_that_is_not_a_string_is_rejected()
    {
        var problem = Assert.Single(_connector.ValidateConfiguration("files", TempTree.Json("""{"folder":42}""")));

        Assert.Equal("configuration.folder", problem.Field);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"docs\"")]
    [InlineData("3")]
    public void A_configuration_that_is_not_an_object_is_rejected(string json)
    {
        var problem = Assert.Single(_connector.ValidateConfiguration("files", TempTree.Json(json)));

        Assert.Equal("configuration", problem.Field);
    }

    [Fact]
    public void An_unknown_key_is_rejected_and_the_allowed_keys_are_listed()
    {
        var problem = Assert.Single(_connector.ValidateConfiguration("files", TempTree.Json("""{"path":"docs"}""")));

        Assert.Equal("configuration.path", problem.Field);
        Assert.Contains("folder", problem.Description);
    }

    [Fact]
    public void Another_pipeline_is_rejected()
    {
        var problem = Assert.Single(_connector.ValidateConfiguration("contacts", TempTree.Json("{}")));

        Assert.Equal("pipeline", problem.Field);
    }

    [Fact]
    public void Validation_does_not_touch_the_source()
    {
        // The allowed root does not exist and no secret is involved: validation still succeeds.
        Assert.Empty(_connector.ValidateConfiguration("files", TempTree.Configuration("missing/folder")));
    }

    [Fact]
    public async Task A_run_with_a_traversing_folder_fails_even_if_validation_was_skipped()
    {
        using var tree = new TempTree();

        var error = await Assert.ThrowsAsync<PermanentSourceException>(
            () => tree.Connector().EnumerateAsync(tree.Context(folder: "../outside"), default).RecordsAsync());

        Assert.Equal("INVALID_CONFIGURATION", error.Code);
    }
}
