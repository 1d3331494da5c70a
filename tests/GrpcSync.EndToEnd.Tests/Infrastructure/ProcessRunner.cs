using System.Diagnostics;
using System.Text;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>The outcome of a finished command.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
{
    /// <summary>Everything needed to understand a failed assertion.</summary>
    public override string ToString() =>
        $"$ {CommandLine}{Environment.NewLine}exit code: {ExitCode}{Environment.NewLine}" +
        $"--- stdout ---{Environment.NewLine}{StdOut}{Environment.NewLine}--- stderr ---{Environment.NewLine}{StdErr}";
}

/// <summary>Runs a short-lived command with a timeout, capturing its output.</summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout,
        IReadOnlyCollection<string>? secretsToRedact = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        var commandLine = Redact(string.Join(' ', new[] { fileName }.Concat(arguments).Select(Quote)), secretsToRedact);

        using var process = new Process { StartInfo = startInfo };
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start: {commandLine}");
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"Timed out after {timeout.TotalSeconds:0} s:{Environment.NewLine}" +
                new ProcessResult(commandLine, -1, Redact(await stdout, secretsToRedact), Redact(await stderr, secretsToRedact)));
        }
        return new ProcessResult(commandLine, process.ExitCode, Redact(await stdout, secretsToRedact), Redact(await stderr, secretsToRedact));
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=@".Contains(c)) ? argument : $"'{argument.Replace("'", "'\\''")}'";

    private static string Redact(string text, IReadOnlyCollection<string>? secrets) =>
        secrets is null ? text : secrets.Where(s => s.Length > 0).Aggregate(text, (t, s) => t.Replace(s, "<redacted>"));
}
