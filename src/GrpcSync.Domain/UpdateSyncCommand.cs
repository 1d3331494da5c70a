namespace GrpcSync.Domain;

/// <summary>A caller's UpdateSync, already validated for shape (frequency in the list, credential a UUID).</summary>
public sealed record UpdateSyncCommand(Guid? CredentialId, string? Frequency, string? ExpectedETag);
