using System.Reflection;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>Where the repository, the built server and the buf CLI are.</summary>
public static class RepoPaths
{
    private const string SolutionFile = "GrpcSync.sln";

    /// <summary>The folder holding GrpcSync.sln, found by walking up from the test assembly.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// GrpcSync.Server.dll of the same configuration as these tests, in the server project's own output
    /// directory. The path is baked into this assembly at build time (see the .csproj).
    /// </summary>
    public static string ServerAssembly
    {
        get
        {
            var path = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "GrpcSyncServerAssembly")?.Value;
            if (string.IsNullOrEmpty(path))
            {
                Assert.Fail("The test assembly has no 'GrpcSyncServerAssembly' metadata; build it with `dotnet build tests/GrpcSync.EndToEnd.Tests` " +
                    "(the ProjectReference to GrpcSync.Server provides the path).");
            }
            if (!File.Exists(path))
            {
                Assert.Fail($"The server assembly was not built: {path} does not exist. Run `dotnet build tests/GrpcSync.EndToEnd.Tests`.");
            }
            var runtimeConfig = Path.ChangeExtension(path, ".runtimeconfig.json");
            if (!File.Exists(runtimeConfig))
            {
                Assert.Fail($"{runtimeConfig} is missing; {path} cannot be started with `dotnet`.");
            }
            return path;
        }
    }

    /// <summary>node_modules/.bin/buf of the repo's npm package (@bufbuild/buf). Fails, never skips, when absent.</summary>
    public static string Buf
    {
        get
        {
            var bin = Path.Combine(RepoRoot, "node_modules", ".bin");
            var candidates = OperatingSystem.IsWindows()
                ? new[] { Path.Combine(bin, "buf.cmd"), Path.Combine(bin, "buf.exe"), Path.Combine(bin, "buf") }
                : new[] { Path.Combine(bin, "buf") };
            var found = candidates.FirstOrDefault(File.Exists);
            if (found is null)
            {
                Assert.Fail($"buf was not found at {candidates[0]}: run `npm ci` at the repo root ({RepoRoot}).");
            }
            return found;
        }
    }

    /// <summary>The `dotnet` host that runs these tests (so the server uses the same runtime installation).</summary>
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
