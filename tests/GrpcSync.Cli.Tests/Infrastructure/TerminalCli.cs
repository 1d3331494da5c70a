using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace GrpcSync.Cli.Tests.Infrastructure;

/// <summary>
/// Runs the built CLI on a real pseudo-terminal, the way a person at a shell does: <c>script -qec "…" /dev/null</c>
/// (util-linux) gives it a pty of <see cref="Columns"/> columns as stdin, stdout and stderr, so it takes its terminal
/// path (tables by default, live progress). What the terminal showed comes back as text: escape sequences removed,
/// line ends normalised. Keystrokes (Ctrl+C) go in through the pty, whose line discipline turns ^C into SIGINT.
/// </summary>
public sealed partial class TerminalCli : IDisposable
{
    public const int Columns = 80;

    private readonly Process _process;
    private readonly StringBuilder _screen = new();
    private readonly Task _reader;

    private TerminalCli(Process process)
    {
        _process = process;
        _reader = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int read;
            while ((read = await process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_screen)
                {
                    _screen.Append(buffer, 0, read);
                }
            }
        });
    }

    /// <summary>Everything the terminal showed so far, as plain text lines.</summary>
    public string Text
    {
        get
        {
            lock (_screen)
            {
                return Plain(_screen.ToString());
            }
        }
    }

    public static TerminalCli Start(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var command = $"stty cols {Columns} rows 50; exec {Quote(RepoPaths.DotnetHost)} {Quote(CliProcess.Assembly)} {string.Join(' ', arguments.Select(Quote))}";
        var info = new ProcessStartInfo("script")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in new[] { "-qec", command, "/dev/null" })
        {
            info.ArgumentList.Add(argument);
        }
        // A plain xterm, not a CI log: CI variables make Spectre.Console drop colours and live displays.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("GRPCSYNC_", StringComparison.OrdinalIgnoreCase)
                                                            || k is "CI" or "TF_BUILD" or "GITHUB_ACTIONS" or "GITLAB_CI" or "NO_COLOR" or "COLUMNS").ToList())
        {
            info.Environment.Remove(key);
        }
        info.Environment["TERM"] = "xterm-256color";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        return new TerminalCli(Process.Start(info) ?? throw new InvalidOperationException("Could not start script(1)."));
    }

    /// <summary>Runs to the end (at most 60 s); returns the exit code and the screen.</summary>
    public static async Task<(int ExitCode, string Screen)> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        using var terminal = Start(arguments, environment);
        var exitCode = await terminal.ExitAsync(TimeSpan.FromSeconds(60));
        return (exitCode, terminal.Text);
    }

    /// <summary>Types <paramref name="keys"/> at the terminal (e.g. "\u0003" for Ctrl+C).</summary>
    public async Task TypeAsync(string keys)
    {
        await _process.StandardInput.WriteAsync(keys);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits until the screen shows <paramref name="pattern"/> (fails after <paramref name="timeout"/>).</summary>
    public async Task WaitForAsync(string pattern, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Regex.IsMatch(Text, pattern))
        {
            Assert.True(clock.Elapsed < timeout && !_process.HasExited, $"the terminal never showed /{pattern}/:\n{Text}");
            await Task.Delay(50);
        }
    }

    public async Task<int> ExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"grpcsync on a terminal did not exit within {timeout.TotalSeconds:0} s:\n{Text}");
        }
        await _reader;
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    /// <summary>The text a terminal would show, roughly: no escape sequences, \n line ends, no trailing blanks.</summary>
    public static string Plain(string raw)
    {
        var text = EscapeSequence().Replace(raw, "").Replace("\r\n", "\n");
        // A bare \r returns to the start of the line (progress redraws): keep what was written last.
        var lines = text.Split('\n').Select(line => line.Split('\r').LastOrDefault(part => part.Length > 0, "").TrimEnd());
        return string.Join('\n', lines);
    }

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''") + "'";

    [GeneratedRegex(@"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")]
    private static partial Regex EscapeSequence();
}
