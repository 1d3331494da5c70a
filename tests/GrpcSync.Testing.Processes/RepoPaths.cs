using System.Reflection;

namespace GrpcSync.Testing.Processes;

/// <summary>Where the repository, the built server and the <c>dotnet</c> host that starts it are.</summary>
public static class RepoPaths
{
    private const string SolutionFile = "GrpcSync.sln";
    private const string ServerAssemblyMetadataKey = "GrpcSyncServerAssembly";

    /// <summary>The folder holding GrpcSync.sln, found by walking up from the test output directory.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// GrpcSync.Server.dll of the same configuration as the tests, in the server project's own output
    /// directory. The path is baked into this assembly at build time (see the .csproj) rather than
    /// guessed from the folder layout, so a Debug test run never starts a stale Release server.
    /// </summary>
    public static string ServerAssembly
    {
        get
        {
            var path = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == ServerAssemblyMetadataKey)?.Value;
            if (string.IsNullOrEmpty(path))
            {
                throw new InvalidOperationException(
                    $"GrpcSync.Testing.Processes has no '{ServerAssemblyMetadataKey}' metadata; build the test project with `dotnet build` " +
                    "(the ProjectReference of tests/GrpcSync.Testing.Processes to GrpcSync.Server provides the path).");
            }
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"The server assembly was not built: {path} does not exist. Build the test project with `dotnet build`.");
            }
            // `dotnet x.dll` needs the runtimeconfig.json next to it; say so rather than let the host fail cryptically.
            var runtimeConfig = Path.ChangeExtension(path, ".runtimeconfig.json");
            if (!File.Exists(runtimeConfig))
            {
                throw new InvalidOperationException($"{runtimeConfig} is missing; {path} cannot be started with `dotnet`.");
            }
            return path;
        }
    }

    /// <summary>The <c>dotnet</c> host running the tests, so the server uses the same runtime installation.</summary>
    public static string DotnetHost
    {
        get
        {
            // Set by the dotnet CLI (dotnet test) for the processes it starts.
            var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
            {
                return fromCli;
            }
            // The test host itself may run as `dotnet testhost.dll`.
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

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No {SolutionFile} found above {AppContext.BaseDirectory}.");
    }
}
