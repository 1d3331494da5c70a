using System.CommandLine;
using Grpc.Core;
using GrpcSync.Cli.Errors;
using GrpcSync.Cli.Output;

namespace GrpcSync.Cli.Invocation;

/// <summary>
/// Runs a command's body with its <see cref="CliContext"/> and turns every way it can end into an exit code:
/// a gRPC failure (printed with its code, message and details), bad input, a local I/O error, or Ctrl+C
/// (which ends a watch normally).
/// </summary>
public static class CommandAction
{
    public static void Set(Command command, Func<CliContext, ParseResult, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, ct) =>
        {
            var format = parse.GetValue(GlobalOptions.Output) ?? (Console.IsOutputRedirected ? OutputFormat.Json : OutputFormat.Table);
            CliContext context;
            try
            {
                context = new CliContext(parse);
            }
            catch (UsageException error)
            {
                return ErrorReport.PrintLocal(error.Message, ExitCodes.BadInput, format, Console.Error);
            }
            using (context)
            {
                try
                {
                    return await body(context, parse, ct);
                }
                catch (RpcException error) when (error.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
                {
                    return ExitCodes.Ok; // Ctrl+C ends a watch or a wait: nothing failed
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return ExitCodes.Ok;
                }
                catch (RpcException error)
                {
                    return ErrorReport.Print(CallFailure.From(error), format, Console.Error, context.ServerAddress);
                }
                catch (UsageException error)
                {
                    return ErrorReport.PrintLocal(error.Message, ExitCodes.BadInput, format, Console.Error);
                }
                catch (IOException error)
                {
                    return ErrorReport.PrintLocal(error.Message, ExitCodes.Failure, format, Console.Error);
                }
                catch (UnauthorizedAccessException error)
                {
                    return ErrorReport.PrintLocal(error.Message, ExitCodes.Failure, format, Console.Error);
                }
            }
        });
}
