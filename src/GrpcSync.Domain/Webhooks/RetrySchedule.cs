namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// When failed attempts are retried: after the n-th failed attempt wait <see cref="Delays"/>[n-1], spread by
/// ±<see cref="JitterRatio"/> so that retries of a burst do not arrive together; past the list the delivery fails.
/// A Retry-After (429/503) later than the schedule wins, up to <see cref="RetryAfterCap"/>.
/// </summary>
public sealed record RetrySchedule(IReadOnlyList<TimeSpan> Delays, double JitterRatio, TimeSpan RetryAfterCap)
{
    /// <summary>Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts over about 27.6 h).</summary>
    public static IReadOnlyList<TimeSpan> SvixDelays { get; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];
}
