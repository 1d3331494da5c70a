namespace GrpcSync.Storage;

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
