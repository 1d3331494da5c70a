using System.Diagnostics;
using System.Globalization;

namespace GrpcSync.SchedulerBench;

/// <summary>CPU time, resident memory and machine load from /proc (Linux).</summary>
internal static class ProcessMeter
{
    /// <summary>Clock ticks per second of /proc/*/stat times (USER_HZ; 100 on Linux).</summary>
    private const double TicksPerSecond = 100.0;

    /// <summary>This process's CPU time (user + system), all threads.</summary>
    public static TimeSpan SelfCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>Resident set size (VmRSS) of a process in bytes; 0 if unreadable.</summary>
    public static long Rss(int pid = 0)
    {
        var path = pid == 0 ? "/proc/self/status" : $"/proc/{pid}/status";
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                    return kb * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    /// <summary>utime + stime (+ cutime + cstime when <paramref name="withChildren"/>) of one process, in seconds; null when gone.</summary>
    public static double? CpuSeconds(int pid, bool withChildren = false)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state): utime is field 14 -> index 11, stime 12, cutime 13, cstime 14.
            double ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            if (withChildren)
            {
                ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }
            return ticks / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// CPU seconds of a PostgreSQL server: the postmaster (with its reaped children) plus every live child
    /// (backends, walwriter, checkpointer, autovacuum).
    /// </summary>
    public static double TreeCpuSeconds(int rootPid)
    {
        return (CpuSeconds(rootPid, withChildren: true) ?? 0) + LiveChildren(rootPid).Sum(pid => CpuSeconds(pid) ?? 0);
    }

    /// <summary>Machine-wide (busy, total) jiffies from the first line of /proc/stat.</summary>
    public static (long Busy, long Total) MachineJiffies()
    {
        var line = File.ReadLines("/proc/stat").First();
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = values.Take(8).Sum(); // user nice system idle iowait irq softirq steal
        var idle = values[3] + values[4];
        return (total - idle, total);
    }

    /// <summary>(read_bytes, write_bytes) a process caused at the storage layer (/proc/pid/io); zeros if unreadable.</summary>
    public static (long Read, long Write) Io(int pid = 0)
    {
        try
        {
            long read = 0, write = 0;
            foreach (var line in File.ReadLines(pid == 0 ? "/proc/self/io" : $"/proc/{pid}/io"))
            {
                if (line.StartsWith("read_bytes:", StringComparison.Ordinal))
                    read = long.Parse(line.AsSpan(11).Trim(), CultureInfo.InvariantCulture);
                else if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                    write = long.Parse(line.AsSpan(12).Trim(), CultureInfo.InvariantCulture);
            }
            return (read, write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return (0, 0);
        }
    }

    /// <summary>Write bytes of a process tree (the postmaster and its live children).</summary>
    public static long TreeWriteBytes(int rootPid)
    {
        return Io(rootPid).Write + LiveChildren(rootPid).Sum(pid => Io(pid).Write);
    }

    /// <summary>Pids of the live processes whose parent is <paramref name="rootPid"/> (field 4 of /proc/pid/stat).</summary>
    private static List<int> LiveChildren(int rootPid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == rootPid)
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == rootPid)
                {
                    children.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return children;
    }

    /// <summary>The 1-minute load average.</summary>
    public static double LoadAverage1()
    {
        var text = File.ReadAllText("/proc/loadavg");
        return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
