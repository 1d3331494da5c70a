namespace GrpcSync.SchedulerBench;

/// <summary>How the bench plans a phase's schedule (<c>--schedule-order</c>; <see cref="BenchDatabase.ScheduleAsync"/>).</summary>
internal enum ScheduleOrder
{
    /// <summary>Every Sync on its own slot of the grid (Domain/ScheduleGrid), where a server that ran a while has them.</summary>
    Slots,

    /// <summary>Sync i at slot (i % 10) × users + i / 10: one credential's Syncs a tenth of the span apart, whatever the file's order.</summary>
    Spread,

    /// <summary>Sync i due i-th: Syncs due together lie side by side in insert order.</summary>
    Stored,
}
