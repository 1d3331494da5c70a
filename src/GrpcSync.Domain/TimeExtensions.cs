namespace GrpcSync.Domain;

/// <summary>Time helpers shared by the layers.</summary>
public static class TimeExtensions
{
    /// <summary>Drops sub-millisecond precision: the stores keep unix milliseconds.</summary>
    public static DateTimeOffset TruncateToMilliseconds(this DateTimeOffset value) =>
        DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());
}
