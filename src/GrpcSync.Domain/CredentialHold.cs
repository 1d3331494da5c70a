namespace GrpcSync.Domain;

/// <summary>
/// A source's throttle put on a whole credential (decided by <see cref="RunRules.Finish"/> for a rate-limited run):
/// no run of any Sync on <see cref="CredentialId"/> starts before <see cref="Until"/>. The store keeps the later of
/// this and any hold already recorded, in the same transaction as the change that carries it.
/// </summary>
public sealed record CredentialHold(Guid CredentialId, DateTimeOffset Until, string Error);
