using System.Text.Json.Nodes;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

public static class Json
{
    /// <summary>The string property <paramref name="name"/>; fails with the whole object if it is missing.</summary>
    public static string Str(this JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new Xunit.Sdk.XunitException($"No string property '{name}' in {json.ToJsonString()}");

    /// <summary>Property names in order, for exact-shape assertions.</summary>
    public static string[] Keys(this JsonObject json) => json.Select(p => p.Key).ToArray();
}
