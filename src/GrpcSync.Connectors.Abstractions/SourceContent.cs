namespace GrpcSync.Connectors;

/// <summary>Content of a file record.</summary>
public sealed record SourceContent(string ContentType, Stream Content);
