namespace GrpcSync.Storage;

/// <summary>An endpoint just disabled for failing too long (for the warning the worker logs).</summary>
public sealed record DisabledEndpoint(Guid Id, string ProjectId, DateTimeOffset FailingSince, string Reason);
