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
        return problems;
    }
}
