using GrpcSync.Testing.Processes;

namespace GrpcSync.Bench;

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
            var before = ProcStats.MachineJiffies();
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var cores = ProcStats.BusyCores(before, ProcStats.MachineJiffies());
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
}
