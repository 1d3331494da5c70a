using GrpcSync.Server.Auth;

namespace GrpcSync.Server.Hosting;

/// <summary>
/// <c>dotnet run --project src/GrpcSync.Server -- token --sub alice [--hours 12]</c>: prints a token
/// signed with the development key. Only works where GenerateDevelopmentKey is on.
/// </summary>
public static class TokenCommand
{
    public static int Run(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args.Skip(1).Where(a => !a.StartsWith("--sub", StringComparison.Ordinal)).ToArray());
        var options = builder.Configuration.GetSection(GrpcSyncOptions.Section).Get<GrpcSyncOptions>() ?? new GrpcSyncOptions();
        if (!options.Auth.GenerateDevelopmentKey)
        {
            Console.Error.WriteLine("The token command needs GrpcSync:Auth:GenerateDevelopmentKey=true (on in the Development environment).");
            return 2;
        }
        var user = ArgValue(args, "--sub") ?? "dev-user";
        var hours = double.TryParse(ArgValue(args, "--hours"), System.Globalization.CultureInfo.InvariantCulture, out var h) ? h : 12;
        var key = DevelopmentKey.LoadOrCreate(options.DataDirectory, options.Auth.DevelopmentProjectId);
        Console.WriteLine(key.CreateToken(user, options.Auth.EffectiveAudienceHosts[0], TimeSpan.FromHours(hours)));
        return 0;
    }

    private static string? ArgValue(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
