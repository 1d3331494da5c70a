using System.Globalization;
using System.Runtime.InteropServices;

namespace GrpcSync.Testing.Processes;

/// <summary>
/// CPU time, memory, I/O, parentage and machine load read from /proc (Linux): the one place that parses those
/// files, for the benches' CPU columns.
/// </summary>
public static class ProcStats
{
    /// <summary>Clock ticks per second of /proc/*/stat times (USER_HZ; 100 on Linux).</summary>
    public const double TicksPerSecond = 100.0;

    /// <summary>utime + stime (+ cutime + cstime, its reaped children, when asked) of a process in ticks; null when it is gone.</summary>
    public static long? CpuTicks(int pid, bool withReapedChildren = false)
    {
        var fields = StatFields(pid);
        if (fields is null)
        {
            return null;
        }
        try
        {
            // fields[0] is field 3 (state): utime is field 14 -> index 11, stime 12, cutime 13, cstime 14.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            if (withReapedChildren)
            {
                ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }
            return ticks;
        }
        catch (Exception error) when (error is FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// CPU seconds of a server's process tree (PostgreSQL): the root with its reaped children plus every live
    /// child (backends, walwriter, checkpointer, autovacuum).
    /// </summary>
    public static double TreeCpuSeconds(int rootPid) =>
        ((CpuTicks(rootPid, withReapedChildren: true) ?? 0) + ChildrenOf(rootPid).Sum(pid => CpuTicks(pid) ?? 0)) / TicksPerSecond;

    /// <summary>Pids of the live processes whose parent is <paramref name="pid"/> (field 4 of /proc/pid/stat).</summary>
    public static List<int> ChildrenOf(int pid)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var candidate)
                && candidate != pid && StatFields(candidate) is { } fields
                && int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent) && parent == pid)
            {
                children.Add(candidate);
            }
        }
        return children;
    }

    /// <summary>Machine-wide (busy, total) jiffies from the first line of /proc/stat (idle and iowait are not busy).</summary>
    public static (long Busy, long Total) MachineJiffies()
    {
        // cpu  user nice system idle iowait irq softirq steal ...
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        return (total - fields[3] - fields[4], total);
    }

    /// <summary>Cores busy on the whole machine between two <see cref="MachineJiffies"/> readings.</summary>
    public static double BusyCores((long Busy, long Total) start, (long Busy, long Total) end) =>
        end.Total > start.Total ? (end.Busy - start.Busy) / (double)(end.Total - start.Total) * Environment.ProcessorCount : 0;

    /// <summary>User + system CPU seconds of this process's terminated, waited-for children (getrusage RUSAGE_CHILDREN).</summary>
    public static double ReapedChildrenCpuSeconds()
    {
        var usage = new long[18]; // struct rusage on 64-bit Linux: ru_utime, ru_stime (timeval each), then 14 longs
        return GetRUsage(-1, usage) == 0 ? usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6 : 0;
    }

    /// <summary>The 1-minute load average; null if unreadable.</summary>
    public static double? LoadAverage1()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception error) when (error is IOException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Resident set size (VmRSS) of a process (0: this one) in bytes; 0 if unreadable.</summary>
    public static long Rss(int pid = 0) => StatusBytes(pid, "VmRSS:");

    /// <summary>The peak resident set size since the process started (VmHWM) in bytes; 0 if unreadable.</summary>
    public static long PeakRss(int pid = 0) => StatusBytes(pid, "VmHWM:");

    private static long StatusBytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines(pid == 0 ? "/proc/self/status" : $"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    /// <summary>(read_bytes, write_bytes) a process (0: this one) caused at the storage layer (/proc/pid/io); zeros if unreadable.</summary>
    public static (long Read, long Write) Io(int pid = 0)
    {
        try
        {
            long read = 0, write = 0;
            foreach (var line in File.ReadLines(pid == 0 ? "/proc/self/io" : $"/proc/{pid}/io"))
            {
                if (line.StartsWith("read_bytes:", StringComparison.Ordinal))
                {
                    read = long.Parse(line.AsSpan(11).Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                {
                    write = long.Parse(line.AsSpan(12).Trim(), CultureInfo.InvariantCulture);
                }
            }
            return (read, write);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException)
        {
            return (0, 0);
        }
    }

    /// <summary>Write bytes of a process tree (the root and its live children).</summary>
    public static long TreeWriteBytes(int rootPid) => Io(rootPid).Write + ChildrenOf(rootPid).Sum(pid => Io(pid).Write);

    /// <summary>The fields of /proc/pid/stat after "(comm)" (comm may hold spaces); null when the process is gone.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, [Out] long[] usage);
}
