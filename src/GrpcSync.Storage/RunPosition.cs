namespace GrpcSync.Storage;

/// <summary>A position in the newest-first list of runs: the last run of the previous page.</summary>
public readonly record struct RunPosition(DateTimeOffset CreatedAt, Guid Id);
