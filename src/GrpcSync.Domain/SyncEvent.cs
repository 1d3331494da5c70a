namespace GrpcSync.Domain;

/// <summary>
/// An event a decision implies, before the store places it in the Sync's log. The store adds what the
/// log knows (the per-Sync sequence) and the Sync's standard properties; <see cref="DataJson"/> is the
/// event's <c>data</c> object as compact JSON.
/// </summary>
public sealed record SyncEvent(Guid Id, string Type, DateTimeOffset Timestamp, string DataJson);
