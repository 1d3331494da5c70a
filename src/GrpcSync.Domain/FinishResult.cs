namespace GrpcSync.Domain;

/// <summary>What <see cref="RunRules.Finish"/> did; <see cref="Fenced"/> means the worker had lost the run.</summary>
public sealed record FinishResult(bool Fenced, SyncRun? Run);
