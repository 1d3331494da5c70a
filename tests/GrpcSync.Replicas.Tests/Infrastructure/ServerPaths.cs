using System.Reflection;

namespace GrpcSync.Replicas.Tests.Infrastructure;

/// <summary>The built server assembly and the <c>dotnet</c> host that starts it.</summary>
public static class ServerPaths
{
    /// <summary>
    /// GrpcSync.Server.dll of the same configuration as these tests, in the server project's own output
    /// directory; the path is baked into this assembly at build time (see the .csproj).
    /// </summary>
    public static string ServerAssembly
    {
        get
        {
            var path = typeof(ServerPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "GrpcSyncServerAssembly")?.Value;
            if (string.IsNullOrEmpty(path))
            {
                Assert.Fail("The test assembly has no 'GrpcSyncServerAssembly' metadata; build it with " +
                    "`dotnet build tests/GrpcSync.Replicas.Tests` (the ProjectReference to GrpcSync.Server provides the path).");
            }
            if (!File.Exists(path))
            {
                Assert.Fail($"The server assembly was not built: {path} does not exist. Run `dotnet build tests/GrpcSync.Replicas.Tests`.");
            }
            if (!File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
            {
                Assert.Fail($"{Path.ChangeExtension(path, ".runtimeconfig.json")} is missing; {path} cannot be started with `dotnet`.");
            }
            return path;
        }
    }

    /// <summary>The <c>dotnet</c> host running these tests, so the servers use the same runtime installation.</summary>
    public static string DotnetHost
    {
        get
        {
            var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
            {
                return fromCli;
            }
            var current = Environment.ProcessPath;
            if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                return current;
            }
            var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
            var underRoot = root is null ? null : Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            return underRoot is not null && File.Exists(underRoot) ? underRoot : "dotnet";
        }
    }
}
