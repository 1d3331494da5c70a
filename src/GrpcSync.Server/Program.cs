using GrpcSync.Server.Hosting;

// `token` prints a development token and exits; anything else starts the service.
if (args is ["token", ..])
{
    return TokenCommand.Run(args);
}

var app = GrpcSyncApp.Build(args);
await app.MigrateStoreAsync();
await app.StartAsync();
StartupBanner.Print(app);
await app.WaitForShutdownAsync();
return 0;
