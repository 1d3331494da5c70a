namespace GrpcSync.Connectors;

/// <summary>A problem with a configuration; <see cref="Field"/> is a path such as <c>configuration.folder</c>.</summary>
public sealed record ConfigurationProblem(string Field, string Description);
