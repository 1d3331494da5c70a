namespace GrpcSync.Server.RateLimiting;

public sealed class RateLimitRule
{
    /// <summary>Permits refilled per second; below 1 (e.g. 0.2) one permit arrives every 1/rate seconds.</summary>
    public double? PermitsPerSecond { get; set; }

    public int? Burst { get; set; }
}
