namespace GrpcSync.Storage;

/// <summary>What a store tells its own process about the event log, right after the commit.</summary>
public sealed class EventSignals
{
    /// <summary>A transaction that appended events committed (any Sync).</summary>
    public EventPulse Appended { get; } = new();

    /// <summary>The relay gave positions to events (project streams and webhook fan-out read by position).</summary>
    public EventPulse Placed { get; } = new();
}
