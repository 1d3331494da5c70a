using System.Globalization;
using System.Text.Json.Nodes;

namespace GrpcSync.Cli.Output;

/// <summary>The text a table cell shows for a REST JSON value, and the flattening of an object into rows.</summary>
public static class JsonText
{
    /// <summary>The value at a dotted path (<c>summary.totalRecords</c>), or null.</summary>
    public static JsonNode? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            if (node is not JsonObject json || !json.TryGetPropertyValue(part, out node))
            {
                return null;
            }
        }
        return node;
    }

    public static string Cell(JsonNode? value) => value switch
    {
        null => "",
        JsonValue scalar when scalar.TryGetValue(out string? text) => text,
        JsonValue scalar when scalar.TryGetValue(out bool flag) => flag ? "true" : "false",
        JsonValue scalar => scalar.ToJsonString(),
        JsonArray items when items.All(i => i is JsonValue) => string.Join(", ", items.Select(Cell)),
        _ => value.ToJsonString(),
    };

    /// <summary>Every leaf of an object as (dotted path, text), nested objects flattened, in the object's order.</summary>
    public static IEnumerable<(string Path, string Text)> Flatten(JsonObject json, string prefix = "")
    {
        foreach (var (name, value) in json)
        {
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            if (value is JsonObject nested && nested.Count > 0)
            {
                foreach (var leaf in Flatten(nested, path))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return (path, Cell(value));
            }
        }
    }

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
