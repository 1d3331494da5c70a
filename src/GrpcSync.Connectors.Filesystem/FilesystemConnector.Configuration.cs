using System.Text.Json;

namespace GrpcSync.Connectors.Filesystem;

// Configuration: the Sync's optional folder.
public sealed partial class FilesystemConnector
{
    private const string FolderKey = "folder";
    private static readonly string[] AllowedConfigurationKeys = [FolderKey];

    private static List<ConfigurationProblem> ParseConfiguration(JsonElement configuration, out string? folder)
    {
        folder = null;
        var problems = new List<ConfigurationProblem>();
        if (configuration.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            return problems;
        if (configuration.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ConfigurationProblem("configuration", "must be a JSON object."));
            return problems;
        }

        foreach (var property in configuration.EnumerateObject())
        {
            if (property.Name != FolderKey)
            {
                problems.Add(new ConfigurationProblem($"configuration.{property.Name}",
                    $"is not a known setting. Allowed keys: {string.Join(", ", AllowedConfigurationKeys)}."));
                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.String)
            {
                problems.Add(new ConfigurationProblem("configuration.folder", "must be a string: a folder path relative to the account root."));
                continue;
            }

            var value = property.Value.GetString()!;
            if (FilesystemPaths.CheckRelative(value) is { } problem)
                problems.Add(new ConfigurationProblem("configuration.folder", problem + " (e.g. \"projects/2024\")."));
            else
                folder = value;
        }
        return problems;
    }
}
