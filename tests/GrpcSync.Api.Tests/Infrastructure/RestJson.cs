using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// Reads REST bodies into the same protobuf messages the gRPC client returns, so one assertion
/// covers both transports. The REST facade writes enum values without their prefix
/// (<c>INITIALIZING</c>, not <c>SYNC_STATUS_INITIALIZING</c>); <see cref="JsonParser"/> wants the full
/// proto names, so they are put back first. Unknown JSON fields fail the parse (a shape check).
/// </summary>
public static class RestJson
{
    private static readonly JsonParser MessageParser = new(JsonParser.Settings.Default);

    private static readonly JsonParser StatusParser = new(JsonParser.Settings.Default
        .WithTypeRegistry(TypeRegistry.FromMessages(BadRequest.Descriptor, ErrorInfo.Descriptor)));

    private static readonly JsonFormatter RequestFormatter = new(JsonFormatter.Settings.Default);

    public static T ParseMessage<T>(string json) where T : class, IMessage<T>, new()
    {
        var descriptor = new T().Descriptor;
        var node = JsonNode.Parse(json) ?? throw new JsonException("The body is JSON null.");
        RestoreEnumPrefixes(node, descriptor);
        return MessageParser.Parse<T>(node.ToJsonString());
    }

    public static Google.Rpc.Status ParseStatus(string json) => StatusParser.Parse<Google.Rpc.Status>(json);

    /// <summary>A request message as the JSON body a REST caller sends, without the fields bound from the path.</summary>
    public static string Body(IMessage request, params string[] pathFields)
    {
        var node = JsonNode.Parse(RequestFormatter.Format(request))!.AsObject();
        foreach (var field in pathFields)
        {
            node.Remove(field);
        }
        return node.ToJsonString();
    }

    private static void RestoreEnumPrefixes(JsonNode node, MessageDescriptor descriptor)
    {
        if (node is not JsonObject obj)
        {
            return;
        }
        foreach (var (name, value) in obj.ToArray())
        {
            var field = descriptor.FindFieldByName(name) ?? descriptor.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == name);
            if (field is null || value is null)
            {
                continue;
            }
            if (field.FieldType == FieldType.Enum)
            {
                if (value is JsonArray array)
                {
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (array[i] is JsonValue v && v.TryGetValue<string>(out var s))
                        {
                            array[i] = WithPrefix(field.EnumType, s);
                        }
                    }
                }
                else if (value is JsonValue v && v.TryGetValue<string>(out var s))
                {
                    obj[name] = WithPrefix(field.EnumType, s);
                }
            }
            else if (field.FieldType == FieldType.Message && field.MessageType.File.Package == "grpcsync.v1")
            {
                if (value is JsonArray array)
                {
                    foreach (var item in array)
                    {
                        if (item is not null)
                        {
                            RestoreEnumPrefixes(item, field.MessageType);
                        }
                    }
                }
                else
                {
                    RestoreEnumPrefixes(value, field.MessageType);
                }
            }
        }
    }

    private static string WithPrefix(EnumDescriptor enumType, string value)
    {
        if (enumType.FindValueByName(value) is not null)
        {
            return value;
        }
        var match = enumType.Values.FirstOrDefault(v => v.Name.EndsWith("_" + value, StringComparison.Ordinal));
        return match?.Name ?? value;
    }

    /// <summary>The names of a JSON object's properties, sorted (for exact key-set assertions).</summary>
    public static string[] Keys(this JsonElement element) =>
        element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();

    /// <summary>True when the object has the property and it is not JSON null.</summary>
    public static bool Has(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;
}
