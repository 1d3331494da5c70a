using System.Text.Json.Nodes;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>`buf curl` against the server's h2c gRPC port, with the schema from server reflection.</summary>
public static class BufCurl
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>node_modules/.bin/buf of the repo's npm package (@bufbuild/buf). Fails, never skips, when absent.</summary>
    internal static string Buf
    {
        get
        {
            var bin = Path.Combine(RepoPaths.RepoRoot, "node_modules", ".bin");
            var candidates = OperatingSystem.IsWindows()
                ? new[] { Path.Combine(bin, "buf.cmd"), Path.Combine(bin, "buf.exe"), Path.Combine(bin, "buf") }
                : new[] { Path.Combine(bin, "buf") };
            var found = candidates.FirstOrDefault(File.Exists);
            if (found is null)
            {
                Assert.Fail($"buf was not found at {candidates[0]}: run `npm ci` at the repo root ({RepoPaths.RepoRoot}).");
            }
            return found;
        }
    }

    /// <summary>One unary call: `buf curl --http2-prior-knowledge --protocol grpc [-H auth] -d json url/method`.</summary>
    public static Task<ProcessResult> CallAsync(string grpcBaseAddress, string method, string json, string? token = null)
    {
        var arguments = new List<string> { "curl", "--http2-prior-knowledge", "--protocol", "grpc" };
        if (token is not null)
        {
            arguments.AddRange(["-H", $"Authorization: Bearer {token}"]);
        }
        arguments.AddRange(["-d", json, $"{grpcBaseAddress}/{method}"]);
        return ProcessRunner.RunAsync(Buf, arguments, Timeout, token is null ? null : [token]);
    }

    /// <summary>`buf curl --list-methods`: every method the server describes via reflection.</summary>
    public static Task<ProcessResult> ListMethodsAsync(string grpcBaseAddress) =>
        ProcessRunner.RunAsync(Buf, ["curl", "--http2-prior-knowledge", "--protocol", "grpc", "--list-methods", grpcBaseAddress], Timeout);

    /// <summary>A call that must succeed; returns its JSON response.</summary>
    public static async Task<JsonObject> CallOkAsync(string grpcBaseAddress, string method, string json, string token)
    {
        var result = await CallAsync(grpcBaseAddress, method, json, token);
        Assert.True(result.ExitCode == 0, $"buf curl failed:{Environment.NewLine}{result}");
        return ParseObject(result);
    }

    public static JsonObject ParseObject(ProcessResult result)
    {
        try
        {
            return JsonNode.Parse(result.StdOut)?.AsObject() ?? throw new FormatException("null JSON");
        }
        catch (Exception error) when (error is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            Assert.Fail($"buf curl did not print a JSON object ({error.Message}):{Environment.NewLine}{result}");
            throw;
        }
    }
}
