namespace GrpcSync.Engine.Configuration;

/// <summary>Settings of the event log (configuration section <c>GrpcSync:Events</c>).</summary>
public sealed class EventOptions
{
    public const string SectionName = "GrpcSync:Events";

    /// <summary>How long events are kept; older ones are deleted in batches.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Most events one delete removes: each batch is a short transaction of its own.</summary>
    public int RetentionBatch { get; set; } = 1000;

    /// <summary>How often the retention loop looks for expired events.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most events the relay places (numbers) in one transaction.</summary>
    public int RelayBatch { get; set; } = 1000;

    /// <summary>
    /// How often an idle relay looks for events committed by other processes (this process's own commits wake it
    /// at once). Bounds how late a project stream or a webhook sees another replica's events.
    /// </summary>
    public TimeSpan RelayPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How often an idle event stream (WatchSyncEvents, WatchProjectEvents) looks for events committed by other
    /// processes; this process's own commits wake it at once.
    /// </summary>
    public TimeSpan WatchPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most events a stream reads in one query (catching up reads page after page), so a stream holds at most one page.</summary>
    public int WatchPageSize { get; set; } = 100;

    /// <summary>What is wrong with these settings (empty when valid); checked at startup.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Retention <= TimeSpan.Zero)
            problems.Add($"{SectionName}:Retention must be positive.");
        if (RetentionBatch < 1)
            problems.Add($"{SectionName}:RetentionBatch must be at least 1.");
        if (RetentionInterval <= TimeSpan.Zero)
            problems.Add($"{SectionName}:RetentionInterval must be positive.");
        if (RelayBatch < 1)
            problems.Add($"{SectionName}:RelayBatch must be at least 1.");
        if (RelayPollInterval <= TimeSpan.Zero)
            problems.Add($"{SectionName}:RelayPollInterval must be positive.");
        if (WatchPollInterval <= TimeSpan.Zero)
            problems.Add($"{SectionName}:WatchPollInterval must be positive.");
        if (WatchPageSize is < 1 or > 1000)
            problems.Add($"{SectionName}:WatchPageSize must be between 1 and 1000.");
        return problems;
    }
}
