namespace GrpcSync.Storage;

/// <summary>
/// The outcome of a keyed create and the answer to give: the one passed in when <see cref="IdempotencyOutcome.Created"/>,
/// the first request's when <see cref="IdempotencyOutcome.Replayed"/>, null when <see cref="IdempotencyOutcome.KeyReused"/>.
/// </summary>
public sealed record IdempotentResult(IdempotencyOutcome Outcome, byte[]? Response);
