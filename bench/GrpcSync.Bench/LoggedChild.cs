using System.Collections.Concurrent;
using System.Text;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Bench;

/// <summary>
/// A long-running child (the GrpcSync server, the baseline) whose output goes to a log file. Every
/// child is remembered so that <see cref="KillAll"/> (on exit or Ctrl+C) leaves nothing behind.
/// </summary>
public sealed class LoggedChild : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, LoggedChild> Running = new();
    private readonly StreamWriter _log;
    private ChildProcess? _process;

    private LoggedChild(string name, string logPath)
    {
        Name = name;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: false, Encoding.UTF8) { AutoFlush = true };
    }

    public string Name { get; }
    public string LogPath { get; }
    public int Pid => Process.Id;

    private ChildProcess Process => _process ?? throw new InvalidOperationException($"{Name} was not started.");

    public static LoggedChild Start(string name, string fileName, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment, string logPath, string? workingDirectory = null)
    {
        var child = new LoggedChild(name, logPath);
        child._process = ChildProcess.Start(new ChildProcessOptions
        {
            FileName = fileName,
            Arguments = arguments,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(logPath)!,
            // Only the bench's configuration reaches the child.
            DropInherited = key => key.StartsWith("GrpcSync", StringComparison.OrdinalIgnoreCase)
                                   || key.StartsWith("Baseline", StringComparison.OrdinalIgnoreCase)
                                   || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                                   || key.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase),
            Environment = environment,
            OnOutput = child.Write,
            OnError = line => child.Write("[stderr] " + line),
        });
        Running[child.Pid] = child;
        return child;
    }

    /// <summary>Waits until GET <paramref name="url"/> answers 200 (or the process dies / time runs out).</summary>
    public async Task WaitHealthyAsync(string url, TimeSpan timeout)
    {
        if (await Process.WaitUntilHealthyAsync(new Uri(url), timeout) is { } failure)
        {
            throw new BenchException($"{Name} did not become healthy: {failure}.\n{Tail()}");
        }
    }

    /// <summary>SIGTERM, wait, then kill the tree if it does not stop.</summary>
    public async Task StopAsync()
    {
        Running.TryRemove(Process.Id, out _);
        await Process.TerminateAsync(TimeSpan.FromSeconds(15));
        lock (_log)
        {
            _log.Flush();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await StopAsync();
            await _process.DisposeAsync();
        }
        lock (_log)
        {
            _log.Dispose();
        }
    }

    /// <summary>The last lines of the child's log, for error messages.</summary>
    public string Tail(int lines = 30)
    {
        lock (_log)
        {
            _log.Flush();
        }
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return $"--- last lines of {LogPath} ---\n" + string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Kills every child still running (exit paths, Ctrl+C).</summary>
    public static void KillAll()
    {
        foreach (var child in Running.Values)
        {
            child._process?.Kill();
        }
        Running.Clear();
    }

    private void Write(string line)
    {
        lock (_log)
        {
            _log.WriteLine(line);
        }
    }
}
