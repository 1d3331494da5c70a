using GrpcSync.Domain;

namespace GrpcSync.Server.Api;

/// <summary>
/// A request's Sync event cursor, as ListSyncEvents and WatchSyncEvents both read it: empty starts at the oldest
/// kept event; anything <see cref="EventCursor"/> did not make is CURSOR_EXPIRED; one of an earlier life of the
/// Sync is refused once that life is known (<see cref="EnsureLife"/>), not reinterpreted.
/// </summary>
internal readonly record struct SyncEventCursorArgument(long AfterSequence, long? Incarnation)
{
    public static SyncEventCursorArgument Parse(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return new(0, null);
        }
        return EventCursor.TryDecode(cursor, out var incarnation, out var after)
            ? new(after, incarnation)
            : throw DomainException.CursorExpired("cursor");
    }

    /// <summary>Throws CURSOR_EXPIRED when the cursor belongs to another life than <paramref name="incarnation"/>.</summary>
    public void EnsureLife(long incarnation)
    {
        if (Incarnation is { } expected && expected != incarnation)
        {
            throw DomainException.CursorExpired("cursor");
        }
    }
}
