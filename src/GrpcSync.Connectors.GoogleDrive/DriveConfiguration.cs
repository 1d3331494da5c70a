using System.Text.Json;

namespace GrpcSync.Connectors.GoogleDrive;

/// <summary>
/// A Sync's configuration: <c>{}</c> (the user's whole Drive, Paragon's "global sync"), or <c>{"folderId":"…"}</c> (one
/// folder and its subtree); optional <c>"includeSharedDrives": true</c>.
/// </summary>
internal sealed record DriveConfiguration(string? FolderId, bool IncludeSharedDrives)
{
    private static readonly string[] Known = ["folderId", "includeSharedDrives"];

    public static List<ConfigurationProblem> Parse(JsonElement json, out DriveConfiguration? configuration)
    {
        configuration = null;
        var problems = new List<ConfigurationProblem>();
        if (json.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ConfigurationProblem("configuration", "must be a JSON object: {} for the whole Drive or {\"folderId\":\"…\"}."));
            return problems;
        }
        string? folderId = null;
        var shared = false;
        foreach (var property in json.EnumerateObject())
        {
            var field = $"configuration.{property.Name}";
            switch (property.Name)
            {
                case "folderId" when property.Value.ValueKind == JsonValueKind.String && IsDriveId(property.Value.GetString()!):
                    folderId = property.Value.GetString();
                    break;
                case "folderId":
                    problems.Add(new ConfigurationProblem(field, "must be a Drive folder id (letters, digits, '-' and '_', as in the folder's URL)."));
                    break;
                case "includeSharedDrives" when property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    shared = property.Value.GetBoolean();
                    break;
                case "includeSharedDrives":
                    problems.Add(new ConfigurationProblem(field, "must be true or false."));
                    break;
                default:
                    problems.Add(new ConfigurationProblem(field, $"is not a known setting. Allowed keys: {string.Join(", ", Known)}."));
                    break;
            }
        }
        if (problems.Count == 0)
        {
            configuration = new DriveConfiguration(folderId, shared);
        }
        return problems;
    }

    /// <summary>Drive ids are URL-safe: they go into paths and into <c>q</c> between single quotes, so nothing else is let in.</summary>
    internal static bool IsDriveId(string value) =>
        value.Length is > 0 and <= 200 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
