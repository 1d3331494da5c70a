namespace GrpcSync.Domain;

/// <summary>Why a run was queued.</summary>
public enum RunTrigger { Enable = 1, Schedule = 2, CredentialChange = 3, Periodic = 4, Manual = 5 }
