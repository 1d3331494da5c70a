using GrpcSync.Domain;

namespace GrpcSync.Engine.Configuration;

/// <summary>
/// Settings of the sync engine (configuration section <c>GrpcSync:Engine</c>). The run-rule part
/// (lease, retries, full-sync interval) maps to the domain's <see cref="RunPolicy"/>.
/// </summary>
public sealed class EngineOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "GrpcSync:Engine";

    /// <summary>False makes this process an API-only replica: it runs no Syncs (another replica does).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Runs this process works on at once; the dispatcher claims no more than the free slots. Runs mostly wait
    /// on their source (network I/O), so many fit one process; with no free slot the dispatcher claims again as
    /// soon as one frees up.
    /// </summary>
    public int MaxConcurrentRuns { get; set; } = 1024;

    /// <summary>
    /// How often the dispatcher looks for due work when the last round found less than it could take (a full
    /// round is followed at once by the next). A Sync that comes due waits up to this long; a round with
    /// nothing due costs one indexed query (measured in docs/ARCHITECTURE.md).
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The shortest lease accepted (a worker renews every third of it).</summary>
    public static readonly TimeSpan MinimumLease = TimeSpan.FromSeconds(1);

    /// <summary>How long a claim holds a run; workers renew it every third of this.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The periodic FULL re-sync interval (catches deletions incremental runs cannot see).</summary>
    public TimeSpan FullSyncEvery { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a shutdown waits for in-flight runs before it cancels (and releases) them.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Transient failures of one run retried before it is FAILED.</summary>
    public int MaxRetries { get; set; } = 5;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Most Syncs one dispatch round looks at (bounds one store transaction). 500 with 1,024 slots and finish batches of
    /// 1,000 (measured at 1,000,000 Syncs, README "Performance"): SQLite 3,111 → 3,751 dispatches/s against 100/128/256,
    /// PostgreSQL's 100,000-Sync catch-up 585 → 1,610/s; a round's fixed costs spread over more runs.
    /// </summary>
    public int DispatchBatch { get; set; } = 500;

    /// <summary>
    /// Most run endings written in one store transaction (group commit); 1 writes each run's end alone.
    /// </summary>
    public int FinishBatch { get; set; } = 1000;

    /// <summary>
    /// How long run history is kept (<c>GrpcSync:Engine:RunRetention</c>): older entries are deleted, except each Sync's
    /// newest 20 (<see cref="RunHistory.KeptPerSync"/>), which are always kept. A collapsed entry counts from its last start.
    /// </summary>
    public TimeSpan RunRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Entries one retention step looks at (one short transaction): small, so dispatch and finishes interleave.
    /// </summary>
    public int RunRetentionBatch { get; set; } = 500;

    /// <summary>How often a retention pass starts (each walks the history once, in steps).</summary>
    public TimeSpan RunRetentionInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The lease owner this process writes on the runs it holds. Unique per process by default
    /// (machine, pid and a random part) so a restarted process never mistakes an old lease for its own.
    /// </summary>
    public string WorkerId { get; set; } = DefaultWorkerId();

    /// <summary>The domain's view of these settings.</summary>
    public RunPolicy ToRunPolicy() => new()
    {
        Lease = Lease,
        FullSyncEvery = FullSyncEvery,
        MaxRetries = MaxRetries,
        RetryBaseDelay = RetryBaseDelay,
        RetryMaxDelay = RetryMaxDelay,
    };

    /// <summary>What is wrong with these settings (empty when valid); checked at startup.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
                problems.Add($"{SectionName}:{name} must be positive.");
        }

        if (MaxConcurrentRuns < 1)
            problems.Add($"{SectionName}:MaxConcurrentRuns must be at least 1.");
        if (DispatchBatch < 1)
            problems.Add($"{SectionName}:DispatchBatch must be at least 1.");
        if (FinishBatch < 1)
            problems.Add($"{SectionName}:FinishBatch must be at least 1.");
        if (MaxRetries < 0)
            problems.Add($"{SectionName}:MaxRetries must not be negative.");
        Positive(PollInterval, nameof(PollInterval));
        if (Lease < MinimumLease)
            problems.Add($"{SectionName}:Lease must be at least {MinimumLease.TotalSeconds:0} second.");
        Positive(FullSyncEvery, nameof(FullSyncEvery));
        Positive(RetryBaseDelay, nameof(RetryBaseDelay));
        Positive(RetryMaxDelay, nameof(RetryMaxDelay));
        if (ShutdownTimeout < TimeSpan.Zero)
            problems.Add($"{SectionName}:ShutdownTimeout must not be negative.");
        Positive(RunRetention, nameof(RunRetention));
        if (RunRetentionBatch < 1)
            problems.Add($"{SectionName}:RunRetentionBatch must be at least 1.");
        Positive(RunRetentionInterval, nameof(RunRetentionInterval));
        if (string.IsNullOrWhiteSpace(WorkerId))
            problems.Add($"{SectionName}:WorkerId must not be empty.");
        return problems;
    }

    private static string DefaultWorkerId() =>
        $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
}
