namespace GrpcSync.Testing.Processes;

/// <summary>Cores used during a measured window, from <see cref="ProcStats"/> (2.0 = both cores of a 2-core machine busy).</summary>
/// <param name="Server">The measured process.</param>
/// <param name="Tool">This process's children that finished meanwhile (the load tools it ran: h2load, wrk).</param>
/// <param name="Database">The database server's processes.</param>
/// <param name="Machine">The whole machine.</param>
public readonly record struct CpuCores(double Server, double Tool, double Database, double Machine);

/// <summary>
/// Measures the CPU of one process, a database server's processes and the whole machine over a window:
/// <see cref="Start"/> before, <see cref="Stop"/> after. Machine minus the rest is anything else running.
/// </summary>
public sealed class CpuMeter
{
    private readonly int _pid;
    private readonly (long Busy, long Total) _machine;
    private readonly long _process;
    private readonly double _children;
    private readonly Func<IEnumerable<int>>? _database;
    private readonly Dictionary<int, long> _databaseStart;

    private CpuMeter(int pid, Func<IEnumerable<int>>? database)
    {
        _pid = pid;
        _database = database;
        _databaseStart = database?.Invoke().ToDictionary(p => p, p => ProcStats.CpuTicks(p) ?? 0) ?? [];
        _machine = ProcStats.MachineJiffies();
        _process = ProcStats.CpuTicks(pid) ?? 0;
        _children = ProcStats.ReapedChildrenCpuSeconds();
    }

    /// <param name="pid">The measured process.</param>
    /// <param name="database">The database server's processes (PostgreSQL's postmaster and backends), if any; asked again at the end.</param>
    public static CpuMeter Start(int pid, Func<IEnumerable<int>>? database = null) => new(pid, database);

    /// <summary>The cores used since <see cref="Start"/>, averaged over <paramref name="elapsed"/>.</summary>
    public CpuCores Stop(TimeSpan elapsed)
    {
        var machine = ProcStats.MachineJiffies();
        var process = ProcStats.CpuTicks(_pid) ?? 0;
        var children = ProcStats.ReapedChildrenCpuSeconds();
        var database = _database?.Invoke().Sum(p => (ProcStats.CpuTicks(p) ?? 0) - _databaseStart.GetValueOrDefault(p)) ?? 0;
        var total = machine.Total - _machine.Total;
        if (total <= 0 || elapsed <= TimeSpan.Zero)
        {
            return default;
        }
        // Process ticks and machine jiffies share one clock, so their ratio times the cores is cores used.
        var cores = Environment.ProcessorCount;
        return new CpuCores((process - _process) / (double)total * cores, (children - _children) / elapsed.TotalSeconds,
            database / (double)total * cores, (machine.Busy - _machine.Busy) / (double)total * cores);
    }
}
