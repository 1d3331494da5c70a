namespace GrpcSync.Domain;

/// <summary>The tenant every Sync and credential belongs to: a project and one of its users.</summary>
public readonly record struct Scope(string ProjectId, string UserId);
