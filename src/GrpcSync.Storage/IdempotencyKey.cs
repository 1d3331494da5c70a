using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// Who used an idempotency key (AIP-155) and for what: a caller's key is independent of another caller's
/// and of the same key sent to another method. <see cref="Method"/> is the full gRPC method name, e.g.
/// <c>grpcsync.v1.CredentialService/CreateCredential</c>.
/// </summary>
public readonly record struct IdempotencyKey(Scope Scope, string Method, string Key);
