namespace GrpcSync.Domain;

/// <summary>Lifecycle status of a Sync (the reference's StatusField enum).</summary>
public enum SyncStatus { Initializing = 1, Active = 2, Idle = 3, RateLimited = 4, Disabled = 5, Errored = 6 }
