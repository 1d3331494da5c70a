using GrpcSync.Cli.Invocation;

// grpcsync: build the command tree, parse, run one command, exit with a documented code (Errors/ExitCodes).
return await CliApp.RunAsync(args);
