using System.CommandLine;
using GrpcSync.Cli.Commands;
using GrpcSync.Cli.Errors;

namespace GrpcSync.Cli.Invocation;

/// <summary>The command tree and one run of it.</summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("grpcsync: manage GrpcSync Syncs, records, credentials, events and webhooks over gRPC.");
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(SyncCommands.Build());
        root.Subcommands.Add(RecordCommands.Build());
        root.Subcommands.Add(CredentialCommands.Build());
        root.Subcommands.Add(EventCommands.Build());
        root.Subcommands.Add(WebhookCommands.Build());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // A usage error is bad input (exit code 2, like INVALID_ARGUMENT), not System.CommandLine's 1.
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"error: {error.Message}");
            }
            await Console.Error.WriteLineAsync("Run with --help for usage.");
            return ExitCodes.BadInput;
        }
        return await parse.InvokeAsync();
    }
}
