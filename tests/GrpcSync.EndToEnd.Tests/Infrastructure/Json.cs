using System.Text.Json.Nodes;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

public static class Json
{
    /// <summary>The string property <paramref name="name"/>; fails with the whole object if it is missing.</summary>
    public static string Str(this JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new Xunit.Sdk.XunitException($"No string property '{name}' in {json.ToJsonString()}");

    /// <summary>
    /// An integer property, whether written as a JSON number (REST) or as a string (protojson, as
    /// `buf curl` prints int64 fields); null when absent.
    /// </summary>
    public static long? Int64(this JsonObject json, string name) =>
        json[name] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<long>(out var number) => number,
            JsonValue value when value.TryGetValue<string>(out var text) && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
            var other => throw new Xunit.Sdk.XunitException($"Property '{name}' is not an integer: {other.ToJsonString()} in {json.ToJsonString()}"),
        };

    /// <summary>Property names in order, for exact-shape assertions.</summary>
    public static string[] Keys(this JsonObject json) => json.Select(p => p.Key).ToArray();
}
