namespace GrpcSync.Server.Hosting;

/// <summary>
/// Development conveniences (only with GrpcSync:Auth:GenerateDevelopmentKey, i.e. the Development
/// environment): an allowed filesystem root <c>DataDirectory/accounts</c> with a demo account
/// <c>accounts/demo</c> holding two files, so a newcomer can enable a working Sync at once.
/// </summary>
public static class DevelopmentSetup
{
    public static string AccountsRoot(GrpcSyncOptions options) => Path.GetFullPath(Path.Combine(options.DataDirectory, "accounts"));

    public static string DemoAccount(GrpcSyncOptions options) => Path.Combine(AccountsRoot(options), "demo");

    public static void Apply(WebApplicationBuilder builder, GrpcSyncOptions options)
    {
        if (!options.Auth.GenerateDevelopmentKey)
        {
            return;
        }
        var demo = DemoAccount(options);
        if (!Directory.Exists(demo))
        {
            Directory.CreateDirectory(Path.Combine(demo, "reports"));
            File.WriteAllText(Path.Combine(demo, "hello.txt"), "Hello from GrpcSync's demo account.\n");
            File.WriteAllText(Path.Combine(demo, "reports", "q1.csv"), "month,total\njan,10\nfeb,12\nmar,9\n");
        }
        // Appended after the configured roots, so an operator's own list still applies.
        var configured = builder.Configuration.GetSection("GrpcSync:Connectors:Filesystem:AllowedRoots").GetChildren().Count();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"GrpcSync:Connectors:Filesystem:AllowedRoots:{configured}"] = AccountsRoot(options),
        });
    }
}
