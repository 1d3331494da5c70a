using GrpcSync.Server.Auth;

namespace GrpcSync.Server.Hosting;

/// <summary>
/// <c>dotnet run --project src/GrpcSync.Server -- token --sub alice [--hours 12] [--admin]</c>: prints a token
/// signed with the development key; <c>--admin</c> adds <c>"role": "admin"</c> (a project administrator,
/// needed for the webhook routes). Only works where GenerateDevelopmentKey is on.
/// </summary>
public static class TokenCommand
{
    public const string AdminFlag = "--admin";

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>The command with its output streams given (the tests read them).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var admin = args.Contains(AdminFlag, StringComparer.Ordinal);
        // Our own flags are taken out; what remains is configuration (e.g. --GrpcSync:DataDirectory=...).
        // A bare "--admin" left in would swallow the next argument as its value.
        var configurationArgs = args.Skip(1).Where(a => !a.StartsWith("--sub", StringComparison.Ordinal) && a != AdminFlag).ToArray();
        var builder = WebApplication.CreateBuilder(configurationArgs);
        var options = builder.Configuration.GetSection(GrpcSyncOptions.Section).Get<GrpcSyncOptions>() ?? new GrpcSyncOptions();
        if (!options.Auth.GenerateDevelopmentKey)
        {
            error.WriteLine("The token command needs GrpcSync:Auth:GenerateDevelopmentKey=true (on in the Development environment).");
            return 2;
        }
        var user = ArgValue(args, "--sub") ?? "dev-user";
        var hours = double.TryParse(ArgValue(args, "--hours"), System.Globalization.CultureInfo.InvariantCulture, out var h) ? h : 12;
        var key = DevelopmentKey.LoadOrCreate(options.DataDirectory, options.Auth.DevelopmentProjectId);
        output.WriteLine(key.CreateToken(user, options.Auth.EffectiveAudienceHosts[0], TimeSpan.FromHours(hours), admin));
        return 0;
    }

    private static string? ArgValue(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
