using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;

namespace GrpcSync.Cli.Tests.Infrastructure;

/// <summary>How one grpcsync run ended: its exit code and both streams.</summary>
public sealed record CliResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
{
    /// <summary>Stdout as JSON (the CLI's answer with --output json).</summary>
    public JsonNode Json => JsonNode.Parse(StdOut) ?? throw new InvalidOperationException($"stdout is not JSON:\n{this}");

    /// <summary>Stderr as the JSON error object the CLI prints with --output json.</summary>
    public JsonObject Error => JsonNode.Parse(StdErr.Trim())?.AsObject() ?? throw new InvalidOperationException($"stderr is not JSON:\n{this}");

    /// <summary>Everything needed to understand a failed assertion.</summary>
    public override string ToString() =>
        $"$ grpcsync {CommandLine}\nexit code: {ExitCode}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";
}

/// <summary>
/// Runs the built CLI (<c>dotnet grpcsync.dll …</c>) as a real process with stdout and stderr redirected (so not
/// a terminal: JSON by default, plain progress lines), its environment cleaned of GRPCSYNC_* variables.
/// </summary>
public static class CliProcess
{
    private const string CliAssemblyMetadataKey = "GrpcSyncCliAssembly";

    public static string Assembly { get; } = typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == CliAssemblyMetadataKey)?.Value
        ?? throw new InvalidOperationException($"No '{CliAssemblyMetadataKey}' metadata: build this project with `dotnet build`.");

    /// <summary>Runs to the end (at most <paramref name="timeout"/>, default 60 s) and returns how it ended.</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null)
    {
        using var process = Start(arguments, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"grpcsync did not finish in time:\n{new CliResult(Line(arguments), -1, await stdout, await stderr)}");
        }
        return new CliResult(Line(arguments), process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a long-running command (a watch) whose stdout lines the test reads as they come.</summary>
    public static RunningCli StartLong(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        new(Start(arguments, environment), Line(arguments));

    private static Process Start(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(RepoPaths.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Assembly);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("GRPCSYNC_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start grpcsync.");
        process.StandardInput.Close();
        return process;
    }

    private static string Line(IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Select(a => a.Length > 0 && !a.Contains(' ') && !a.Contains('"') ? a : $"'{a}'"));
}

/// <summary>A grpcsync process still running: its stdout lines as they arrive, stderr kept, its exit awaited or forced.</summary>
public sealed class RunningCli : IDisposable
{
    private readonly Process _process;
    private readonly string _commandLine;
    private readonly System.Threading.Channels.Channel<string> _lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stdout = new();
    private readonly Task<string> _stderr;
    private readonly Task _reader;

    public RunningCli(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
        _stderr = process.StandardError.ReadToEndAsync();
        _reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (_stdout)
                {
                    _stdout.AppendLine(line);
                }
                await _lines.Writer.WriteAsync(line);
            }
            _lines.Writer.Complete();
        });
    }

    /// <summary>The next stdout line (fails the test after <paramref name="timeout"/>, or if stdout ended).</summary>
    public async Task<string> NextLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            if (await _lines.Reader.WaitToReadAsync(cts.Token) && _lines.Reader.TryRead(out var line))
            {
                return line;
            }
        }
        catch (OperationCanceledException)
        {
        }
        Assert.Fail($"no further line from: grpcsync {_commandLine}\n--- stdout so far ---\n{Output}");
        return "";
    }

    /// <summary>Waits for the exit (default 30 s) and returns how it ended.</summary>
    public async Task<CliResult> ExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            Assert.Fail($"grpcsync {_commandLine} did not exit in time:\n{Output}\n--- stderr ---\n{await _stderr}");
        }
        await _reader;
        return new CliResult(_commandLine, _process.ExitCode, Output, await _stderr);
    }

    private string Output
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Sends SIGINT, what Ctrl+C sends the foreground program of a terminal.</summary>
    public void Interrupt()
    {
        if (SendSignal(_process.Id, SigInt) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGINT) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    private const int SigInt = 2;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
