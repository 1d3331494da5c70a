namespace GrpcSync.Server.RateLimiting;

public sealed class RateLimitRule
{
    public int? PermitsPerSecond { get; set; }

    public int? Burst { get; set; }
}
