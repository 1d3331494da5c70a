namespace GrpcSync.Domain;

/// <summary>What a run does.</summary>
public enum RunType { Initial = 1, Incremental = 2, Full = 3 }
