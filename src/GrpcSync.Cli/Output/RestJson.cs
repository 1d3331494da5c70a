using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace GrpcSync.Cli.Output;

/// <summary>
/// A message as the server's REST edge writes it: the protobuf JSON form (Google.Protobuf's JsonFormatter, default
/// values included, as JSON transcoding writes them), then the two settings the server's transcoding changes
/// (Server/Hosting/ApiRegistration): enum names without their type prefix ("IDLE", not "SYNC_STATUS_IDLE") and
/// 64-bit integers as JSON numbers. So `grpcsync … --output json` prints what `curl` of the same route prints.
/// </summary>
public static class RestJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static JsonNode ToNode(IMessage message)
    {
        var node = JsonNode.Parse(Formatter.Format(message))!;
        Reshape(node, message.Descriptor);
        return node;
    }

    private static void Reshape(JsonNode? node, MessageDescriptor descriptor)
    {
        if (node is not JsonObject json || descriptor.FullName.StartsWith("google.protobuf.", StringComparison.Ordinal))
        {
            return; // well-known types (Struct, Value, Timestamp ...) already have their one JSON form
        }
        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            if (!json.TryGetPropertyValue(field.JsonName, out var value) || value is null)
            {
                continue;
            }
            if (value is JsonArray items)
            {
                for (var i = 0; i < items.Count; i++)
                {
                    var item = items[i];
                    var reshaped = ReshapeValue(item, field);
                    if (!ReferenceEquals(reshaped, item))
                    {
                        items[i] = reshaped;
                    }
                }
            }
            else if (ReshapeValue(value, field) is var reshaped && !ReferenceEquals(reshaped, value))
            {
                json[field.JsonName] = reshaped;
            }
        }
    }

    private static JsonNode? ReshapeValue(JsonNode? value, FieldDescriptor field)
    {
        switch (field.FieldType)
        {
            case FieldType.Enum when value is JsonValue enumValue && enumValue.TryGetValue(out string? name):
                var prefix = EnumPrefix(field.EnumType.Name);
                return name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length
                    ? JsonValue.Create(name[prefix.Length..])
                    : value;
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64
                when value is JsonValue longValue && longValue.TryGetValue(out string? text) && long.TryParse(text, out var number):
                return JsonValue.Create(number);
            case FieldType.UInt64 or FieldType.Fixed64
                when value is JsonValue ulongValue && ulongValue.TryGetValue(out string? utext) && ulong.TryParse(utext, out var unumber):
                return JsonValue.Create(unumber);
            case FieldType.Message:
                Reshape(value, field.MessageType);
                return value;
            default:
                return value;
        }
    }

    /// <summary>SyncRunHold → "SYNC_RUN_HOLD_", the prefix protoc style gives every value of the enum.</summary>
    private static string EnumPrefix(string enumName)
    {
        var prefix = new StringBuilder();
        for (var i = 0; i < enumName.Length; i++)
        {
            if (i > 0 && char.IsUpper(enumName[i]))
            {
                prefix.Append('_');
            }
            prefix.Append(char.ToUpperInvariant(enumName[i]));
        }
        return prefix.Append('_').ToString();
    }
}
