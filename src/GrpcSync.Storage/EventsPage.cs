using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>A page of a Sync's events and the <see cref="Sync.Incarnation"/> whose log was read, read together.</summary>
public sealed record EventsPage(long Incarnation, IReadOnlyList<LoggedEvent> Events);
