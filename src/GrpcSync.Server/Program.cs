using GrpcSync.Server.Hosting;

// `token` prints a development token and exits; anything else starts the service.
if (args is ["token", ..])
{
    return TokenCommand.Run(args);
}

WebApplication app;
try
{
    app = GrpcSyncApp.Build(args);
}
catch (StartupProblem problem)
{
    // A configuration to fix (e.g. a key-encryption key file others may read): its message, no stack trace.
    Console.Error.WriteLine($"GrpcSync cannot start: {problem.Message}");
    return 1;
}
await app.MigrateStoreAsync();
await app.StartAsync();
StartupBanner.Print(app);
await app.WaitForShutdownAsync();
return 0;
