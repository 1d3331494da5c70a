namespace GrpcSync.Connectors;

/// <summary>A problem with a configuration or a secret; <see cref="Field"/> is a path such as <c>configuration.folder</c> or <c>secret.region</c>.</summary>
public sealed record ConfigurationProblem(string Field, string Description);
