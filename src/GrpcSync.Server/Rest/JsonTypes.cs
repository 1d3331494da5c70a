using System.Text.Json;
using Google.Protobuf.Reflection;

namespace GrpcSync.Server.Rest;

/// <summary>
/// Which JSON value kinds the proto3 JSON mapping accepts for a field (null always means "default").
/// Only definite mismatches are refused; finer checks (an integer's range, an enum's name) stay with transcoding.
/// </summary>
public static class JsonTypes
{
    public static bool Accepts(FieldDescriptor field, JsonValueKind kind)
    {
        if (kind == JsonValueKind.Null)
        {
            return true;
        }
        if (field.IsMap)
        {
            return kind == JsonValueKind.Object;
        }
        if (field.IsRepeated)
        {
            return kind == JsonValueKind.Array;
        }
        return field.FieldType switch
        {
            FieldType.String or FieldType.Bytes => kind == JsonValueKind.String,
            FieldType.Bool => kind is JsonValueKind.True or JsonValueKind.False,
            FieldType.Enum => kind is JsonValueKind.String or JsonValueKind.Number,
            FieldType.Message or FieldType.Group => AcceptsMessage(field.MessageType.FullName, kind),
            _ => kind is JsonValueKind.Number or JsonValueKind.String, // numbers; 64-bit ones are often strings
        };
    }

    private static bool AcceptsMessage(string typeName, JsonValueKind kind) => typeName switch
    {
        "google.protobuf.Value" => true,
        "google.protobuf.ListValue" => kind == JsonValueKind.Array,
        "google.protobuf.Timestamp" or "google.protobuf.Duration" or "google.protobuf.FieldMask"
            or "google.protobuf.StringValue" or "google.protobuf.BytesValue" => kind == JsonValueKind.String,
        "google.protobuf.BoolValue" => kind is JsonValueKind.True or JsonValueKind.False,
        "google.protobuf.Int32Value" or "google.protobuf.Int64Value" or "google.protobuf.UInt32Value"
            or "google.protobuf.UInt64Value" or "google.protobuf.FloatValue" or "google.protobuf.DoubleValue"
            => kind is JsonValueKind.Number or JsonValueKind.String,
        _ => kind == JsonValueKind.Object, // Struct, Any and our own messages
    };

    public static string Expected(FieldDescriptor field)
    {
        if (field.IsMap)
        {
            return "a JSON object";
        }
        if (field.IsRepeated)
        {
            return "a JSON array";
        }
        return field.FieldType switch
        {
            FieldType.String or FieldType.Bytes => "a string",
            FieldType.Bool => "true or false",
            FieldType.Enum => "one of the enum's names",
            FieldType.Message or FieldType.Group => field.MessageType.FullName switch
            {
                "google.protobuf.Value" => "any JSON value",
                "google.protobuf.ListValue" => "a JSON array",
                "google.protobuf.Timestamp" => "an RFC 3339 timestamp string",
                "google.protobuf.Duration" => "a duration string such as \"1.5s\"",
                "google.protobuf.StringValue" or "google.protobuf.BytesValue" or "google.protobuf.FieldMask" => "a string",
                "google.protobuf.BoolValue" => "true or false",
                var name when name.StartsWith("google.protobuf.", StringComparison.Ordinal) && name.EndsWith("Value", StringComparison.Ordinal) => "a number",
                _ => "a JSON object",
            },
            _ => "a number",
        };
    }

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
