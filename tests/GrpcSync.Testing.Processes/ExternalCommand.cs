using System.Diagnostics;

namespace GrpcSync.Testing.Processes;

/// <summary>What a finished command printed and how it ended.</summary>
public sealed record CommandResult(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>Both streams, for failure messages.</summary>
    public string Both => StdOut + (StdErr.Length > 0 ? "\n[stderr]\n" + StdErr : "");
}

/// <summary>Runs a short-lived program to completion and captures its output (pg_ctl, h2load, wrk ...).</summary>
public static class ExternalCommand
{
    /// <summary>
    /// Runs <paramref name="fileName"/>; throws <see cref="LaunchException"/> when it cannot be started or
    /// does not finish within <paramref name="timeout"/> (then its process tree is killed). A non-zero exit
    /// code is the caller's to judge.
    /// </summary>
    public static async Task<CommandResult> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        string? workingDirectory = null, string? standardInput = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new LaunchException($"Cannot run '{fileName}': {error.Message}");
        }
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
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
            throw new LaunchException($"'{fileName} {string.Join(' ', info.ArgumentList)}' did not finish within {timeout.TotalSeconds:0} s.");
        }
        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>What a command prints (trimmed) when it succeeds; null when it fails or is not installed.</summary>
    public static async Task<string?> TryReadAsync(string fileName, params string[] arguments)
    {
        try
        {
            var result = await RunAsync(fileName, arguments, TimeSpan.FromSeconds(30));
            return result.ExitCode == 0 ? result.StdOut.Trim() : null;
        }
        catch (LaunchException)
        {
            return null;
        }
    }
}
