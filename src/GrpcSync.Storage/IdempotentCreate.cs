using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// Who used an idempotency key (AIP-155) and for what: a caller's key is independent of another caller's
/// and of the same key sent to another method. <see cref="Method"/> is the full gRPC method name, e.g.
/// <c>grpcsync.v1.CredentialService/CreateCredential</c>.
/// </summary>
public readonly record struct IdempotencyKey(Scope Scope, string Method, string Key);

/// <summary>
/// A create sent with an idempotency key: the key, a hash of the request (to tell a retry from another
/// request under the same key) and the answer to keep if this request is the first one.
/// </summary>
/// <param name="RequestHash">A digest of the request (the API hashes its protobuf bytes with SHA-256).</param>
/// <param name="Response">The encoded answer a retry gets back (the API stores the response message's bytes).</param>
/// <param name="Now">When the request arrived: the key's start, and the clock its expiry is judged by.</param>
public sealed record IdempotentCreate(IdempotencyKey Key, byte[] RequestHash, byte[] Response, DateTimeOffset Now)
{
    /// <summary>
    /// How long a key is remembered. Clients retry within seconds or minutes; a day covers a retry after an
    /// outage and keeps the table small. After it the key is free and starts a new create.
    /// </summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);
}

/// <summary>What a keyed create did.</summary>
public enum IdempotencyOutcome
{
    /// <summary>The first use of the key: the resource was written and the answer kept.</summary>
    Created,

    /// <summary>A retry (same key, same request hash, within the window): nothing was written.</summary>
    Replayed,

    /// <summary>The key was used for a different request within the window: nothing was written.</summary>
    KeyReused,
}

/// <summary>
/// The outcome of a keyed create and the answer to give: the one passed in when <see cref="IdempotencyOutcome.Created"/>,
/// the first request's when <see cref="IdempotencyOutcome.Replayed"/>, null when <see cref="IdempotencyOutcome.KeyReused"/>.
/// </summary>
public sealed record IdempotentResult(IdempotencyOutcome Outcome, byte[]? Response);
