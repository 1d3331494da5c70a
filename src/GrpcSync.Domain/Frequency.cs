namespace GrpcSync.Domain;

/// <summary>The incremental frequencies the Sync API accepts (<c>incrementalAccumulatorFrequency</c>).</summary>
public static class Frequency
{
    /// <summary>The frequency of a Sync that never set one.</summary>
    public const string Default = "1m";

    private static readonly (string Name, TimeSpan Interval)[] Options =
    [
        ("1m", TimeSpan.FromMinutes(1)), ("5m", TimeSpan.FromMinutes(5)), ("10m", TimeSpan.FromMinutes(10)),
        ("30m", TimeSpan.FromMinutes(30)), ("1h", TimeSpan.FromHours(1)), ("3h", TimeSpan.FromHours(3)),
        ("6h", TimeSpan.FromHours(6)), ("24h", TimeSpan.FromHours(24)),
    ];

    /// <summary>The allowed values in order, e.g. for error messages.</summary>
    public static IReadOnlyList<string> Allowed { get; } = Options.Select(o => o.Name).ToArray();

    /// <summary>Exact, case-sensitive match against <see cref="Allowed"/>.</summary>
    public static bool IsValid(string? value) => value is not null && Options.Any(o => o.Name == value);

    public static TimeSpan ToInterval(string value)
    {
        foreach (var (name, interval) in Options)
        {
            if (name == value)
            {
                return interval;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown frequency.");
    }
}
