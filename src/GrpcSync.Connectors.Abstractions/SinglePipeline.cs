namespace GrpcSync.Connectors;

/// <summary>
/// The pipeline check of a connector that serves one pipeline (the built-in ones serve <c>files</c>): the same words
/// when a Sync is validated and, should a stored Sync name another pipeline anyway, when it runs.
/// </summary>
public static class SinglePipeline
{
    /// <summary>
    /// The answer to <see cref="IConnector.ValidateConfiguration"/>: a <c>pipeline</c> problem when
    /// <paramref name="pipeline"/> is not <paramref name="served"/>, then the configuration's own problems.
    /// </summary>
    public static IReadOnlyList<ConfigurationProblem> Validate(string integration, string served, string pipeline,
        IEnumerable<ConfigurationProblem> configurationProblems)
    {
        ArgumentNullException.ThrowIfNull(configurationProblems);
        var problems = new List<ConfigurationProblem>();
        if (pipeline != served)
        {
            problems.Add(new ConfigurationProblem("pipeline", Unserved(integration, served)));
        }
        problems.AddRange(configurationProblems);
        return problems;
    }

    /// <summary>At run time: another pipeline is UNSUPPORTED_PIPELINE, permanent (no retry serves it).</summary>
    public static void Require(string integration, string served, string pipeline)
    {
        if (pipeline != served)
        {
            throw new PermanentSourceException("UNSUPPORTED_PIPELINE", Unserved(integration, served));
        }
    }

    private static string Unserved(string integration, string served) => $"The {integration} integration only serves the '{served}' pipeline.";
}
