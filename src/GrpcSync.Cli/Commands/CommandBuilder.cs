using System.CommandLine;
using Google.Protobuf;
using GrpcSync.Cli.Errors;
using GrpcSync.Cli.Invocation;
using GrpcSync.Cli.Output;

namespace GrpcSync.Cli.Commands;

/// <summary>
/// The shapes most subcommands share, so a noun's file says only what is its own: the name, the help, the
/// arguments and options (in the order help lists them) and the one call; the printing and the exit code are here.
/// </summary>
public static class CommandBuilder
{
    /// <summary>A command with these arguments and options; its action is set by the caller.</summary>
    public static Command Create(string name, string description, params Symbol[] inputs)
    {
        var command = new Command(name, description);
        foreach (var input in inputs)
        {
            switch (input)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
                default:
                    throw new ArgumentException($"{input.Name} is neither an argument nor an option.", nameof(inputs));
            }
        }
        return command;
    }

    /// <summary>A command that makes one call and shows its answer (a table of its fields, or its JSON).</summary>
    public static Command Showing<T>(string name, string description, Symbol[] inputs,
        Func<CliContext, ParseResult, CancellationToken, Task<T>> call) where T : IMessage
    {
        var command = Create(name, description, inputs);
        CommandAction.Set(command, async (cli, parse, ct) =>
        {
            cli.Printer.Show(await call(cli, parse, ct));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A command whose only input is one id argument: one call with the id, its answer shown.</summary>
    public static Command ForId<T>(string name, string description, Argument<string> id,
        Func<CliContext, string, CancellationToken, Task<T>> call) where T : IMessage =>
        Showing(name, description, [id], (cli, parse, ct) => call(cli, parse.GetValue(id)!, ct));

    /// <summary>
    /// A command that makes one list call and shows the answer's <paramref name="items"/> as a table of
    /// <paramref name="columns"/> (or the JSON as it is); <paramref name="nextPageToken"/>, for a paged list, puts
    /// the next page's option under the table.
    /// </summary>
    public static Command Listing<T>(string name, string description, Symbol[] inputs,
        Func<CliContext, ParseResult, CancellationToken, Task<T>> call, string items, IReadOnlyList<Column> columns,
        Func<T, string>? nextPageToken = null) where T : IMessage
    {
        var command = Create(name, description, inputs);
        CommandAction.Set(command, async (cli, parse, ct) =>
        {
            var response = await call(cli, parse, ct);
            cli.Printer.ShowList(response, items, columns, nextPageToken is null ? null : Arguments.NextPage(nextPageToken(response)));
            return ExitCodes.Ok;
        });
        return command;
    }
}
