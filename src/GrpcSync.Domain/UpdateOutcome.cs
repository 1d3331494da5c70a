namespace GrpcSync.Domain;

/// <summary>What an update did, for the response and the logs.</summary>
public sealed record UpdateOutcome(bool Changed, SyncRun? QueuedFullRun);
