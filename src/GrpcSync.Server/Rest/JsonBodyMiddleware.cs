using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Protobuf.Reflection;
using Code = Google.Rpc.Code;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace GrpcSync.Server.Rest;

/// <summary>
/// Reads a transcoded route's JSON body once before transcoding does, for the answers transcoding cannot
/// give: its own parse errors are a bare "not correctly formatted" 400, and it silently ignores keys it does
/// not know, so a typo such as <c>{"credentialID": ...}</c> would be "accepted" and do nothing. Here:
/// <list type="bullet">
/// <item>malformed JSON, or a body that is not an object → 400 <c>INVALID_JSON</c>, with the parser's line,
/// byte and JSON path as a field violation;</item>
/// <item>a top-level value of the wrong JSON type for its field (a number for a string…) → 400 <c>INVALID_JSON</c>
/// naming the field;</item>
/// <item>a key that is not a field of the request message (JSON or proto name), or is bound from the path →
/// 400 <c>UNKNOWN_FIELD</c>, like Google's own REST APIs;</item>
/// <item>no body at all (e.g. <c>POST .../trigger</c> with every field optional) reads as <c>{}</c>.</item>
/// </list>
/// </summary>
public sealed partial class JsonBodyMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>();
        if (metadata is null || metadata.HttpRule.Body != "*")
        {
            await next(context);
            return;
        }
        if (!RequestBodies.HasBody(context.Request))
        {
            // Read an absent body as `{}`, which the method then validates, instead of transcoding's content-type error.
            context.Request.Body = new MemoryStream("{}"u8.ToArray());
            context.Request.ContentLength = 2;
            context.Request.ContentType = RestErrorWriter.JsonContentType;
            await next(context);
            return;
        }

        context.Request.EnableBuffering();
        var problem = await CheckBody(context.Request.Body, metadata, context.RequestAborted);
        context.Request.Body.Position = 0;
        if (problem is null)
        {
            await next(context);
            return;
        }
        await RestErrorWriter.WriteAsync(context, StatusCodes.Status400BadRequest, Code.InvalidArgument,
            problem.Value.Message, problem.Value.Reason, problem.Value.Violations);
    }

    private readonly record struct BodyProblem(string Reason, string Message, IReadOnlyList<Domain.FieldViolation> Violations);

    private static async Task<BodyProblem?> CheckBody(Stream body, GrpcJsonTranscodingMetadata metadata, CancellationToken ct)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(body, cancellationToken: ct);
        }
        catch (JsonException error)
        {
            var field = string.IsNullOrEmpty(error.Path) || error.Path == "$" ? "body" : error.Path.TrimStart('$', '.');
            var where = error.LineNumber is { } line ? $" at line {line + 1}, byte {error.BytePositionInLine + 1}" : "";
            var message = $"The request body is not valid JSON{where}: {ParserSentence(error.Message)}";
            return new BodyProblem("INVALID_JSON", message, [new Domain.FieldViolation(field, message)]);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                const string message = "The request body must be a JSON object.";
                return new BodyProblem("INVALID_JSON", message, [new Domain.FieldViolation("body", message)]);
            }
            var fields = BodyFields.GetOrAdd(metadata.MethodDescriptor.FullName, _ => BodyFieldsOf(metadata));
            var unknown = new List<string>();
            var mistyped = new List<Domain.FieldViolation>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!fields.TryGetValue(property.Name, out var field))
                {
                    unknown.Add(property.Name);
                }
                else if (!JsonTypes.Accepts(field, property.Value.ValueKind))
                {
                    mistyped.Add(new Domain.FieldViolation(property.Name,
                        $"{property.Name} must be {JsonTypes.Expected(field)}, not {JsonTypes.Describe(property.Value.ValueKind)}."));
                }
            }
            if (unknown.Count > 0)
            {
                var message = $"Invalid JSON payload received. Unknown name{(unknown.Count > 1 ? "s" : "")}: {string.Join(", ", unknown.Select(k => $"\"{k}\""))}.";
                return new BodyProblem("UNKNOWN_FIELD", message, unknown.Select(k => new Domain.FieldViolation(k, $"Unknown field '{k}'.")).ToArray());
            }
            if (mistyped.Count > 0)
            {
                return new BodyProblem("INVALID_JSON", string.Join(" ", mistyped.Select(v => v.Description)), mistyped);
            }
        }
        return null;
    }

    /// <summary>System.Text.Json's message without its "Path: … | LineNumber: …" tail (reported separately).</summary>
    private static string ParserSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }
        return cut < 0 ? message : message[..cut];
    }

    /// <summary>Per method (a handful per server): the JSON and proto names a body may use, with their fields.</summary>
    private static readonly ConcurrentDictionary<string, FrozenDictionary<string, FieldDescriptor>> BodyFields = new(StringComparer.Ordinal);

    /// <summary>The fields of the request message that are not bound from the path, by JSON and by proto name.</summary>
    private static FrozenDictionary<string, FieldDescriptor> BodyFieldsOf(GrpcJsonTranscodingMetadata metadata)
    {
        var pathBound = PathVariable().Matches(PathOf(metadata.HttpRule)).Select(m => m.Groups[1].Value).ToHashSet();
        return metadata.MethodDescriptor.InputType.Fields.InDeclarationOrder()
            .Where(f => !pathBound.Contains(f.Name))
            .SelectMany(f => new[] { (Name: f.Name, Field: f), (Name: f.JsonName, Field: f) })
            .DistinctBy(x => x.Name)
            .ToFrozenDictionary(x => x.Name, x => x.Field, StringComparer.Ordinal);
    }

    private static string PathOf(Google.Api.HttpRule rule) => rule.PatternCase switch
    {
        Google.Api.HttpRule.PatternOneofCase.Get => rule.Get,
        Google.Api.HttpRule.PatternOneofCase.Post => rule.Post,
        Google.Api.HttpRule.PatternOneofCase.Put => rule.Put,
        Google.Api.HttpRule.PatternOneofCase.Patch => rule.Patch,
        Google.Api.HttpRule.PatternOneofCase.Delete => rule.Delete,
        Google.Api.HttpRule.PatternOneofCase.Custom => rule.Custom.Path,
        _ => "",
    };

    [GeneratedRegex(@"\{([a-zA-Z0-9_.]+)")]
    private static partial Regex PathVariable();
}
