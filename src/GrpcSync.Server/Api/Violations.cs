using System.Text.RegularExpressions;
using GrpcSync.Domain;

namespace GrpcSync.Server.Api;

/// <summary>
/// Collects every problem of one request, then throws them together as one INVALID_ARGUMENT with a
/// BadRequest field violation each. Field names are the JSON (camelCase) names REST callers send.
/// </summary>
public sealed partial class Violations
{
    private readonly List<FieldViolation> _items = [];

    public void Add(string field, string description) => _items.Add(new FieldViolation(field, description));

    public Guid? Uuid(string field, string? value, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                Add(field, $"{field} is required.");
            }
            return null;
        }
        if (Guid.TryParseExact(value, "D", out var id))
        {
            return id;
        }
        Add(field, $"{field} must be a valid UUID (e.g. 3f2504e0-4f89-41d3-9a0c-0305e82c3301), got '{Clip(value)}'.");
        return null;
    }

    /// <summary>
    /// A Struct that has a JSON form: every Value has a kind and every number is finite (a native gRPC caller
    /// can send either; JSON has neither). False, with a violation, otherwise.
    /// </summary>
    public bool JsonStruct(string field, Google.Protobuf.WellKnownTypes.Struct value)
    {
        var problem = FirstNonJson(value, field, depth: 0);
        if (problem is not null)
        {
            Add(field, problem);
        }
        return problem is null;
    }

    private static string? FirstNonJson(Google.Protobuf.WellKnownTypes.Struct value, string path, int depth) =>
        value.Fields.Select(f => FirstNonJson(f.Value, $"{path}.{f.Key}", depth + 1)).FirstOrDefault(p => p is not null);

    private static string? FirstNonJson(Google.Protobuf.WellKnownTypes.Value value, string path, int depth)
    {
        const int MaxDepth = 64; // as the REST body's parser
        if (depth > MaxDepth)
        {
            return $"{path} is nested deeper than {MaxDepth} levels.";
        }
        return value.KindCase switch
        {
            Google.Protobuf.WellKnownTypes.Value.KindOneofCase.None => $"{path} is a Value with no kind set (null, number, string, bool, struct or list).",
            Google.Protobuf.WellKnownTypes.Value.KindOneofCase.NumberValue when !double.IsFinite(value.NumberValue) => $"{path} is {value.NumberValue}, which JSON cannot hold.",
            Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StructValue => FirstNonJson(value.StructValue, path, depth),
            Google.Protobuf.WellKnownTypes.Value.KindOneofCase.ListValue => value.ListValue.Values
                .Select((item, i) => FirstNonJson(item, $"{path}[{i}]", depth + 1)).FirstOrDefault(p => p is not null),
            _ => null,
        };
    }

    public string? Frequency(string field, string? value)
    {
        if (value is null)
        {
            return null;
        }
        if (Domain.Frequency.IsValid(value))
        {
            return value;
        }
        Add(field, $"{field} must be one of {string.Join(", ", Domain.Frequency.Allowed)}; got '{Clip(value)}'.");
        return null;
    }

    /// <summary>An integration key: lowercase letters and digits, e.g. <c>googledrive</c>.</summary>
    public void IntegrationKey(string field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            Add(field, $"{field} is required.");
        }
        else if (!IntegrationPattern().IsMatch(value))
        {
            Add(field, $"{field} must be 1-64 lowercase letters or digits (e.g. googledrive); got '{Clip(value)}'.");
        }
    }

    public void Pipeline(string field, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            Add(field, $"{field} is required.");
        }
        else if (!PipelinePattern().IsMatch(value))
        {
            Add(field, $"{field} must be 1-64 lowercase letters, digits or underscores starting with a letter (e.g. files, custom_objects); got '{Clip(value)}'.");
        }
    }

    public void Text(string field, string value, int maxLength, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                Add(field, $"{field} is required.");
            }
        }
        else if (value.Length > maxLength)
        {
            Add(field, $"{field} must be at most {maxLength} characters.");
        }
        else if (value.Any(char.IsControl))
        {
            Add(field, $"{field} must not contain control characters.");
        }
    }

    public void ThrowIfAny()
    {
        if (_items.Count == 0)
        {
            return;
        }
        var message = _items.Count == 1 ? _items[0].Description : "Invalid request: " + string.Join(" ", _items.Select(v => v.Description));
        throw new DomainException(ErrorKind.InvalidArgument, "INVALID_ARGUMENT", message, _items.ToArray());
    }

    /// <summary>Echo at most 64 characters of bad input, so errors stay readable.</summary>
    private static string Clip(string value) => value.Length <= 64 ? value : value[..64] + "…";

    [GeneratedRegex("^[a-z0-9]{1,64}$")]
    private static partial Regex IntegrationPattern();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex PipelinePattern();
}
