using System.Globalization;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace GrpcSync.Server.Rest;

/// <summary>
/// Names the query parameter transcoding could not convert ("The input string 'abc' was not in a correct
/// format." says neither which one nor what it should be). Only consulted on that error path.
/// </summary>
public static class QueryValues
{
    public static IReadOnlyList<Domain.FieldViolation>? Problems(HttpContext context)
    {
        var input = context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>()?.MethodDescriptor.InputType;
        if (input is null || context.Request.Query.Count == 0)
        {
            return null;
        }
        var problems = new List<Domain.FieldViolation>();
        foreach (var (name, values) in context.Request.Query)
        {
            var field = input.FindFieldByName(name) ?? input.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == name);
            if (field is null)
            {
                continue;
            }
            foreach (var value in values)
            {
                if (value is not null && !Parses(field, value))
                {
                    problems.Add(new Domain.FieldViolation(name, $"Query parameter {name} must be {JsonTypes.Expected(field)}, got '{Clip(value)}'."));
                    break;
                }
            }
        }
        return problems;
    }

    private static bool Parses(FieldDescriptor field, string value) => field.FieldType switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        FieldType.UInt32 or FieldType.Fixed32 => uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        FieldType.UInt64 or FieldType.Fixed64 => ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        FieldType.Double or FieldType.Float => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        FieldType.Bool => bool.TryParse(value, out _),
        // Names are written without their prefix (RemoveEnumPrefix): "FULL" for SYNC_RUN_TYPE_FULL.
        FieldType.Enum => int.TryParse(value, CultureInfo.InvariantCulture, out _)
            || field.EnumType.Values.Any(v => v.Name == value || v.Name.EndsWith("_" + value, StringComparison.Ordinal)),
        _ => true,
    };

    private static string Clip(string value) => value.Length <= 100 ? value : value[..100] + "…";
}
