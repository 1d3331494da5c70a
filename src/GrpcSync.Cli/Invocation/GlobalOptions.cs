using System.CommandLine;
using GrpcSync.Cli.Output;

namespace GrpcSync.Cli.Invocation;

/// <summary>The options every command takes (recursive on the root): where the server is, who calls, how to print.</summary>
public static class GlobalOptions
{
    public const string DefaultServer = "http://127.0.0.1:5081";
    public const string ServerVariable = "GRPCSYNC_SERVER";
    public const string TokenVariable = "GRPCSYNC_TOKEN";

    public static readonly Option<string> Server = new("--server", "-s")
    {
        Description = $"The gRPC address of the server (h2c for http://, TLS for https://). Default: ${ServerVariable} or {DefaultServer}.",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : DefaultServer,
    };

    public static readonly Option<string?> Token = new("--token", "-t")
    {
        Description = $"The bearer token (a project's JWT). Default: ${TokenVariable}.",
        Recursive = true,
    };

    public static readonly Option<OutputFormat?> Output = new("--output", "-o")
    {
        Description = "table or json (the REST JSON shapes). Default: table on a terminal, json when stdout is redirected.",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Server);
        root.Options.Add(Token);
        root.Options.Add(Output);
    }
}
