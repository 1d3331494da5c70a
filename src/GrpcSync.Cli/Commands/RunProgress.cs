using System.Diagnostics;
using System.Globalization;
using GrpcSync.V1;

namespace GrpcSync.Cli.Commands;

/// <summary>
/// What a followed run has shown so far: its state, the records it changed (one <c>record_*</c> event each) and the
/// pages they came in (a page's events share one timestamp: they are written in one transaction), and the time
/// since the wait began. Updated from the event stream and the poll, read by the display: hence the lock.
/// </summary>
public sealed class RunProgress
{
    private readonly Lock _lock = new();
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private string _lastPageTimestamp = "";

    public RunProgress(SyncRun run)
    {
        Run = run;
        State = Short(run.State);
    }

    public SyncRun Run { get; private set; }
    public string State { get; private set; }
    public long Records { get; private set; }
    public int Pages { get; private set; }
    public (long Created, long Updated, long Deleted)? Counts { get; private set; }
    public TimeSpan Elapsed => _elapsed.Elapsed;

    /// <summary>The run as last read; true when its state changed.</summary>
    public bool Observe(SyncRun run)
    {
        lock (_lock)
        {
            Run = run;
            var state = Short(run.State);
            var changed = state != State;
            State = state;
            return changed;
        }
    }

    public void RunStarted()
    {
        lock (_lock)
        {
            State = "RUNNING";
        }
    }

    public void RecordChanged(string timestamp)
    {
        lock (_lock)
        {
            Records++;
            if (timestamp != _lastPageTimestamp)
            {
                Pages++;
                _lastPageTimestamp = timestamp;
            }
        }
    }

    public void Finished(string state, long created, long updated, long deleted)
    {
        lock (_lock)
        {
            State = state;
            Counts = (created, updated, deleted);
        }
    }

    /// <summary>"RUNNING · 120 records · 1 page · 3.2 s".</summary>
    public string Describe()
    {
        lock (_lock)
        {
            var pages = Pages == 1 ? "1 page" : $"{Pages} pages";
            var records = Records == 1 ? "1 record" : $"{Records.ToString("N0", CultureInfo.InvariantCulture)} records";
            return $"{State} · {records} · {pages} · {Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
        }
    }

    /// <summary>The state, records and pages (not the time): a plain line is printed only when this changes.</summary>
    public string Key()
    {
        lock (_lock)
        {
            return $"{State}/{Records}/{Pages}";
        }
    }

    public static bool IsFinal(SyncRunState state) =>
        state is SyncRunState.Succeeded or SyncRunState.Failed or SyncRunState.Cancelled;

    public static string Short(SyncRunState state) => state switch
    {
        SyncRunState.Queued => "QUEUED",
        SyncRunState.Running => "RUNNING",
        SyncRunState.Succeeded => "SUCCEEDED",
        SyncRunState.Failed => "FAILED",
        SyncRunState.Cancelled => "CANCELLED",
        _ => "UNSPECIFIED",
    };
}
