using System.Net;
using System.Threading.RateLimiting;
using GrpcSync.Domain;
using GrpcSync.Server.Hosting;
using Microsoft.Extensions.Options;

namespace GrpcSync.Server.RateLimiting;

/// <summary>
/// Token buckets (System.Threading.RateLimiting) per caller and, for failed authentications, per remote
/// address. Buckets refill continuously (a partitioned limiter replenishes its idle-collected partitions
/// every 100 ms), so a caller at its limit gets a permit every 1/rate seconds.
/// </summary>
public sealed class CallerRateLimiter : IDisposable
{
    private readonly bool _enabled;
    private readonly TimeSpan _addressRefill;
    private readonly PartitionedRateLimiter<Scope> _callers;
    private readonly PartitionedRateLimiter<IPAddress> _addresses;

    public CallerRateLimiter(IOptions<GrpcSyncOptions> options)
    {
        var limits = options.Value.RateLimits;
        limits.Validate();
        _enabled = limits.Enabled;
        _addressRefill = TimeSpan.FromSeconds(1 / limits.Unauthenticated.PermitsPerSecond!.Value);
        _callers = PartitionedRateLimiter.Create<Scope, Scope>(caller =>
            RateLimitPartition.GetTokenBucketLimiter(caller, c => Bucket(limits.ForProject(c.ProjectId))));
        _addresses = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address =>
            RateLimitPartition.GetTokenBucketLimiter(address, _ => Bucket(limits.Unauthenticated)));
    }

    /// <summary>Takes one permit of the caller's bucket; false (with when to retry) when it is empty.</summary>
    public bool TryAcquire(Scope caller, out TimeSpan retryAfter) => Take(_callers, caller, 1, out retryAfter);

    /// <summary>Whether a request from this address may have its token checked (takes nothing).</summary>
    public bool AddressMayAuthenticate(IPAddress? address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        // A whole permit must be left (a bucket refills in fractions, and asking for 0 permits accepts any fraction).
        if (!_enabled || _addresses.GetStatistics(address ?? IPAddress.None)?.CurrentAvailablePermits >= 1)
        {
            return true;
        }
        retryAfter = _addressRefill; // at most this long until the next whole permit
        return false;
    }

    /// <summary>Charges a failed authentication to the address it came from.</summary>
    public void ChargeFailedAuthentication(IPAddress? address) => Take(_addresses, address ?? IPAddress.None, 1, out _);

    private bool Take<T>(PartitionedRateLimiter<T> limiter, T key, int permits, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_enabled)
        {
            return true;
        }
        using var lease = limiter.AttemptAcquire(key, permits);
        if (lease.IsAcquired)
        {
            return true;
        }
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);
        return false;
    }

    private static TokenBucketRateLimiterOptions Bucket(RateLimitRule rule) => new()
    {
        TokenLimit = rule.Burst!.Value,
        // Whole permits per period: per second at 1/s and more, otherwise one per 1/rate seconds.
        TokensPerPeriod = rule.PermitsPerSecond >= 1 ? (int)Math.Round(rule.PermitsPerSecond.Value) : 1,
        ReplenishmentPeriod = rule.PermitsPerSecond >= 1 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(1 / rule.PermitsPerSecond!.Value),
        // Replenished by the partitioned limiter's 100 ms heartbeat in proportion to the time passed,
        // instead of a timer per bucket adding a whole second's tokens at once.
        AutoReplenishment = false,
        QueueLimit = 0,
    };

    public void Dispose()
    {
        _callers.Dispose();
        _addresses.Dispose();
    }
}
