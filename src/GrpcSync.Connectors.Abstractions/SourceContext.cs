using System.Text.Json;

namespace GrpcSync.Connectors;

/// <summary>What a connector reads with: the pipeline, the Sync's configuration and the credential's secret.</summary>
public sealed record SourceContext(string Pipeline, JsonElement Configuration, string Secret);
