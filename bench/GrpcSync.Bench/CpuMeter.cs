using System.Globalization;
using System.Runtime.InteropServices;

namespace GrpcSync.Bench;

/// <summary>
/// CPU used during a figure, from /proc: by the measured server process and by the whole machine, in
/// cores (2.0 = both cores busy). Machine minus server is the load tool plus anything else running.
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
        _databaseStart = database?.Invoke().ToDictionary(p => p, Process) ?? [];
        _machine = Machine();
        _process = Process(pid);
        _children = ChildrenSeconds();
    }

    /// <param name="pid">The measured server process.</param>
    /// <param name="database">The database server's processes (PostgreSQL's postmaster and backends), if any.</param>
    public static CpuMeter Start(int pid, Func<IEnumerable<int>>? database = null) => new(pid, database);

    /// <summary>
    /// Cores used by the server, by the load tools that finished meanwhile (this process's reaped children:
    /// h2load, wrk) and by the whole machine, averaged over the time since <see cref="Start"/>.
    /// </summary>
    public (double Server, double Tool, double Database, double Machine) Stop(TimeSpan elapsed)
    {
        var machine = Machine();
        var process = Process(_pid);
        var children = ChildrenSeconds();
        var database = _database?.Invoke().Sum(p => Process(p) - _databaseStart.GetValueOrDefault(p)) ?? 0;
        var total = machine.Total - _machine.Total;
        if (total <= 0 || elapsed <= TimeSpan.Zero)
        {
            return (0, 0, 0, 0);
        }
        var cores = Environment.ProcessorCount;
        return ((process - _process) / (double)total * cores, (children - _children) / elapsed.TotalSeconds,
            database / (double)total * cores, (machine.Busy - _machine.Busy) / (double)total * cores);
    }

    /// <summary>A process and its direct children (e.g. PostgreSQL's postmaster and its backends).</summary>
    public static IEnumerable<int> WithChildren(int pid)
    {
        yield return pid;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var child)
                && ParentOf(child) == pid)
            {
                yield return child;
            }
        }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(rest[1], CultureInfo.InvariantCulture);
        }
        catch (Exception error) when (error is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>User + system CPU seconds of this process's terminated, waited-for children (getrusage RUSAGE_CHILDREN).</summary>
    private static double ChildrenSeconds()
    {
        var usage = new long[18]; // struct rusage on 64-bit Linux: ru_utime, ru_stime (timeval each), then 14 longs
        return GetRUsage(-1, usage) == 0 ? usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6 : 0;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, [Out] long[] usage);

    /// <summary>The 1-minute load average (other work on the machine shows here).</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static (long Busy, long Total) Machine()
    {
        // cpu  user nice system idle iowait irq softirq steal ...
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        return (total - fields[3] - fields[4], total);
    }

    private static long Process(int pid)
    {
        try
        {
            // Fields after "(comm)": state is the 3rd field of the file; utime and stime are the 14th and 15th.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
        }
        catch (Exception error) when (error is IOException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }
}

/// <summary>
/// Full runs share the machine with whatever else runs on it: before a figure, wait (bounded) until the
/// machine is idle, so that other work does not end up in the numbers.
/// </summary>
public static class Quiet
{
    /// <summary>Cores busy on the whole machine below which it counts as idle.</summary>
    public const double IdleBelow = 0.2;

    /// <summary>Waits until two consecutive 1-second windows are idle, at most <paramref name="limit"/>. True if they were.</summary>
    public static async Task<bool> WaitAsync(TimeSpan limit, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var idleWindows = 0;
        var announced = false;
        while (clock.Elapsed < limit)
        {
            var before = Busy();
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var after = Busy();
            var cores = after.Total > before.Total ? (after.Busy - before.Busy) / (double)(after.Total - before.Total) * Environment.ProcessorCount : 0;
            idleWindows = cores < IdleBelow ? idleWindows + 1 : 0;
            if (idleWindows >= 2)
            {
                return true;
            }
            if (!announced && clock.Elapsed > TimeSpan.FromSeconds(3))
            {
                Console.WriteLine($"  (waiting up to {limit.TotalSeconds:0} s for the machine to be idle: {cores:0.00} cores busy by other work)");
                announced = true;
            }
        }
        return false;
    }

    private static (long Busy, long Total) Busy()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        return (total - fields[3] - fields[4], total);
    }
}
