namespace GrpcSync.Storage;

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
