namespace GrpcSync.Storage;

/// <summary>
/// One claim of due webhook deliveries by <see cref="Owner"/> at <see cref="Now"/>, leased for <see cref="Lease"/>:
/// at most <see cref="Max"/> in all, <see cref="PerEndpoint"/> of each endpoint but <see cref="PerPrefetchedEndpoint"/>
/// of the <see cref="Prefetched"/> ones (known to answer fast, so the worker takes more of them ahead), none of the
/// <see cref="Excluded"/> ones (the worker has enough of theirs in hand).
/// </summary>
public sealed record DeliveryClaim(
    string Owner,
    DateTimeOffset Now,
    TimeSpan Lease,
    int Max,
    int PerEndpoint,
    IReadOnlyCollection<Guid> Excluded,
    IReadOnlyCollection<Guid> Prefetched,
    int PerPrefetchedEndpoint);
