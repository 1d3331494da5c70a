using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcSync.Cli.Output;

namespace GrpcSync.Cli.Errors;

/// <summary>
/// Prints a failure on stderr: text (code, message, reason, field violations) for people, one JSON object
/// (<c>{"code","message","reason","metadata","fieldViolations"}</c>) when the output format is JSON.
/// </summary>
public static class ErrorReport
{
    public static int Print(CallFailure failure, OutputFormat format, TextWriter error, string server)
    {
        if (format == OutputFormat.Json)
        {
            var json = new JsonObject
            {
                ["code"] = failure.CodeName,
                ["message"] = failure.Unreachable ? UnreachableMessage(server, failure.Message) : failure.Message,
                ["exitCode"] = failure.ExitCode,
            };
            if (failure.Reason is { } reason)
            {
                json["reason"] = reason;
            }
            if (failure.Metadata.Count > 0)
            {
                json["metadata"] = new JsonObject(failure.Metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value)));
            }
            if (failure.Violations.Count > 0)
            {
                json["fieldViolations"] = new JsonArray([.. failure.Violations.Select(v => (JsonNode)new JsonObject
                {
                    ["field"] = v.Field,
                    ["description"] = v.Description,
                })]);
            }
            error.WriteLine(json.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            return failure.ExitCode;
        }

        if (failure.Unreachable)
        {
            error.WriteLine($"error: {UnreachableMessage(server, failure.Message)}");
            return failure.ExitCode;
        }
        error.WriteLine($"error: {failure.CodeName}: {failure.Message}");
        if (failure.Reason is { } why)
        {
            error.WriteLine($"  reason: {why}");
        }
        foreach (var (key, value) in failure.Metadata)
        {
            error.WriteLine($"  {key}: {value}");
        }
        foreach (var (field, description) in failure.Violations)
        {
            error.WriteLine($"  {field}: {description}");
        }
        return failure.ExitCode;
    }

    /// <summary>A local problem (bad file, bad JSON in an option) before or after the call.</summary>
    public static int PrintLocal(string message, int exitCode, OutputFormat format, TextWriter error)
    {
        error.WriteLine(format == OutputFormat.Json
            ? new JsonObject { ["code"] = "LOCAL", ["message"] = message, ["exitCode"] = exitCode }.ToJsonString()
            : $"error: {message}");
        return exitCode;
    }

    private static string UnreachableMessage(string server, string detail) =>
        $"cannot reach the GrpcSync server at {server} ({detail}). Is it running? Set --server or GRPCSYNC_SERVER.";
}
