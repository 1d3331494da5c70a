namespace GrpcSync.Domain;

/// <summary>
/// A caller's UpdateSync, already validated for shape (frequency in the list, credential a UUID).
/// <paramref name="ChangedBy"/> is the caller's <c>sub</c>, recorded in <c>sync_updated</c> (default: the Sync's user).
/// </summary>
public sealed record UpdateSyncCommand(Guid? CredentialId, string? Frequency, string? ExpectedETag, string? ChangedBy = null);
