using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace GrpcSync.Testing.Processes;

/// <summary>How to start a <see cref="ChildProcess"/>.</summary>
public sealed record ChildProcessOptions
{
    public required string FileName { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Variables set for the child, after <see cref="DropInherited"/> has removed inherited ones.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Which inherited variables the child must not see (configuration of the caller's own environment).</summary>
    public Func<string, bool>? DropInherited { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Called with each line of stdout, in order (on a thread-pool thread).</summary>
    public Action<string>? OnOutput { get; init; }

    /// <summary>Called with each line of stderr, in order (on a thread-pool thread).</summary>
    public Action<string>? OnError { get; init; }
}

/// <summary>
/// A long-running program started for a test or a bench (a server, the bench's own server mode): its output
/// read line by line, a closed stdin, GET /healthz polling, a graceful stop by SIGTERM and a kill of its tree.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the program; throws <see cref="LaunchException"/> if it cannot be started.</summary>
    public static ChildProcess Start(ChildProcessOptions options)
    {
        var info = new ProcessStartInfo(options.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (options.WorkingDirectory is not null)
        {
            info.WorkingDirectory = options.WorkingDirectory;
        }
        foreach (var argument in options.Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        if (options.DropInherited is { } drop)
        {
            foreach (var key in info.Environment.Keys.Where(drop).ToList())
            {
                info.Environment.Remove(key);
            }
        }
        foreach (var (key, value) in options.Environment)
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                options.OnOutput?.Invoke(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                options.OnError?.Invoke(e.Data);
            }
        };
        try
        {
            if (!process.Start())
            {
                throw new LaunchException($"Could not start {options.FileName} {string.Join(' ', options.Arguments)}.");
            }
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            process.Dispose();
            throw new LaunchException($"Could not start {options.FileName}: {error.Message}");
        }
        // Nothing to read: a closed stdin keeps the child from ever waiting on the console.
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process);
    }

    /// <summary>Waits for the exit and for the last line of its output to be handed on.</summary>
    public Task WaitForExitAsync(CancellationToken ct = default) => _process.WaitForExitAsync(ct);

    /// <summary>
    /// Null once GET <paramref name="url"/> answered 200 from this process (<see cref="PortListeners"/>); otherwise why it did
    /// not (exited, timed out).
    /// </summary>
    public async Task<string?> WaitUntilHealthyAsync(Uri url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        var last = "no answer yet";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(); // drains the output
                return $"the process exited with code {_process.ExitCode} before GET {url.AbsolutePath} answered 200";
            }
            try
            {
                using var response = await http.GetAsync(url);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    if (PortListeners.IsListenedBy(_process.Id, url.Port) != false)
                    {
                        return null;
                    }
                    // Another process holds the port (both were handed it as free): this one loses the bind and exits.
                    last = $"GET {url.AbsolutePath} was answered by another process listening on port {url.Port}";
                    await Task.Delay(100);
                    continue;
                }
                last = $"GET {url.AbsolutePath} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                last = $"GET {url.AbsolutePath} failed: {error.Message}";
            }
            await Task.Delay(100);
        }
        return $"timed out after {timeout.TotalSeconds:0} s; last attempt: {last}";
    }

    /// <summary>
    /// Asks the child to stop the way a process manager would (SIGTERM; a hard kill on Windows) and waits up to
    /// <paramref name="timeout"/>. False, after killing its tree, if it did not exit in time.
    /// </summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            if (OperatingSystem.IsWindows())
            {
                _process.Kill(entireProcessTree: true);
            }
            else if (SendSignal(_process.Id, SigTerm) != 0 && !_process.HasExited)
            {
                // Process.Kill only sends SIGKILL; a graceful stop needs kill(2) itself.
                throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            return false;
        }
    }

    /// <summary>Kills the whole process tree at once, like <c>kill -9</c>: no shutdown code runs. Never throws for a child already gone.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception error) when (error is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // already gone
        }
    }

    /// <summary>Kills the tree if it still runs and waits (bounded) until it is gone.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            Kill();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (Exception error) when (error is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or never started; nothing left to clean up.
        }
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
