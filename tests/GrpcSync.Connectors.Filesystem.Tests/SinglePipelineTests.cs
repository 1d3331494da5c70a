namespace GrpcSync.Connectors.Filesystem.Tests;

/// <summary>The pipeline check the built-in connectors share (GrpcSync.Connectors.SinglePipeline).</summary>
public sealed class SinglePipelineTests
{
    private static readonly ConfigurationProblem Folder = new("configuration.folder", "must be a string.");

    [Fact]
    public void Another_pipeline_is_a_pipeline_problem_ahead_of_the_configurations_own()
    {
        var problems = SinglePipeline.Validate("filesystem", "files", "contacts", [Folder]);

        Assert.Equal(2, problems.Count);
        Assert.Equal(new ConfigurationProblem("pipeline", "The filesystem integration only serves the 'files' pipeline."), problems[0]);
        Assert.Equal(Folder, problems[1]);
    }

    [Fact]
    public void The_served_pipeline_passes_the_configurations_problems_through()
    {
        Assert.Equal([Folder], SinglePipeline.Validate("filesystem", "files", "files", [Folder]));
        Assert.Empty(SinglePipeline.Validate("filesystem", "files", "files", []));
    }

    [Fact]
    public void A_run_of_another_pipeline_fails_permanently_and_the_served_one_passes()
    {
        var error = Assert.Throws<PermanentSourceException>(() => SinglePipeline.Require("s3", "files", "Files"));

        Assert.Equal("UNSUPPORTED_PIPELINE", error.Code);
        Assert.Equal("The s3 integration only serves the 'files' pipeline.", error.Message);
        SinglePipeline.Require("s3", "files", "files");
    }
}
