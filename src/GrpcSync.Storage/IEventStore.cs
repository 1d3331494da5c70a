using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// The event log (transactional outbox). Events are never written through this interface: every write of
/// <see cref="ISyncStore"/> and <see cref="IEngineStore"/> appends the events of its change (the
/// <see cref="SyncChange{T}.Events"/> of a decision, a page's record changes, a delete's sync_deleted) in
/// its own transaction, each with the Sync's next sequence. This reads the log and trims it.
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// The events of the current life of the scope's Sync with a sequence above <paramref name="afterSequence"/>,
    /// oldest first, at most <paramref name="limit"/> (at least 1), with the incarnation read in the same snapshot.
    /// Null when the Sync is not in the scope.
    /// </summary>
    Task<EventsPage?> ListSyncEventsAsync(Scope scope, Guid syncId, long afterSequence, int limit, CancellationToken ct = default);

    /// <summary>
    /// The events of one life (<paramref name="incarnation"/>) of the scope's Sync with a sequence above
    /// <paramref name="afterSequence"/>, oldest first, at most <paramref name="limit"/> (at least 1), read from the
    /// log alone: they stay readable after the Sync is deleted, up to and including its sync_deleted, which is
    /// how a stream sees the end of the life it watches. Empty (never null) for a Sync or life not in the scope.
    /// </summary>
    Task<IReadOnlyList<LoggedEvent>> ListLifeEventsAsync(Scope scope, Guid syncId, long incarnation, long afterSequence, int limit,
        CancellationToken ct = default);

    /// <summary>
    /// The placed events of every Sync of a project with a position above <paramref name="afterPosition"/>, by
    /// position, at most <paramref name="limit"/> (at least 1). Events not placed yet are not listed: they come
    /// after every listed one, so a reader resuming from the last position it saw misses none.
    /// </summary>
    Task<IReadOnlyList<LoggedEvent>> ListProjectEventsAsync(string projectId, long afterPosition, int limit, CancellationToken ct = default);

    /// <summary>Wake-ups for this process's readers of the log, pulsed right after the commits that change it.</summary>
    EventSignals Signals { get; }

    /// <summary>
    /// The relay's step: gives the next global positions (commit order over all Syncs) to about
    /// <paramref name="max"/> (at least 1) events that have none, oldest first (the events of one change are
    /// placed together, so a step may place a few more), in one transaction that holds the relay row, so two
    /// relays (replicas) never interleave and a reader that saw position p has seen every position below it.
    /// Returns how many were placed; pulses <see cref="EventSignals.Placed"/>.
    /// </summary>
    Task<int> PlaceEventsAsync(int max, CancellationToken ct = default);

    /// <summary>
    /// Deletes the oldest rows of events logged before <paramref name="cutoff"/>, at most <paramref name="max"/>
    /// (at least 1; a change's several events share a row and go together), in one short transaction; returns
    /// how many events. Callers repeat it until fewer than max come back.
    /// </summary>
    Task<int> DeleteEventsBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken ct = default);
}
