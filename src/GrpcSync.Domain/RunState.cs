namespace GrpcSync.Domain;

/// <summary>Where a run is in its life. Queued and Running are "open"; the rest are final.</summary>
public enum RunState { Queued = 1, Running = 2, Succeeded = 3, Failed = 4, Cancelled = 5 }
