using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Rpc;
using GrpcSync.Domain;
using GrpcSync.Server.Errors;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace GrpcSync.Server.Rest;

/// <summary>
/// JSON transcoding silently ignores keys it does not know, so a typo such as
/// <c>{"credentialID": ...}</c> would be "accepted" and do nothing. Like Google's own REST APIs we
/// reject them: for a transcoded route with a JSON body, every top-level key must be a field of the
/// request message (JSON or proto name) that is not already bound from the path.
/// </summary>
public sealed partial class UnknownFieldsMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>();
        if (metadata is null || metadata.HttpRule.Body != "*")
        {
            await next(context);
            return;
        }
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && !context.Request.Headers.ContainsKey("Transfer-Encoding")))
        {
            // No body at all (e.g. `POST .../trigger` with every field optional): read it as `{}`, which
            // the method then validates, instead of transcoding's content-type error.
            context.Request.Body = new MemoryStream("{}"u8.ToArray());
            context.Request.ContentLength = 2;
            context.Request.ContentType = "application/json";
            await next(context);
            return;
        }

        context.Request.EnableBuffering();
        var unknown = await FindUnknownKeys(context.Request.Body, metadata, context.RequestAborted);
        context.Request.Body.Position = 0;
        if (unknown.Count == 0)
        {
            await next(context);
            return;
        }

        var violations = unknown.Select(k => new Domain.FieldViolation(k, $"Unknown field '{k}'.")).ToArray();
        var message = $"Invalid JSON payload received. Unknown name{(unknown.Count > 1 ? "s" : "")}: {string.Join(", ", unknown.Select(k => $"\"{k}\""))}.";
        var status = RpcErrors.ToStatus(Code.InvalidArgument, message, "UNKNOWN_FIELD", violations);
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(RpcErrors.ToJson(status), context.RequestAborted);
    }

    private static async Task<List<string>> FindUnknownKeys(Stream body, GrpcJsonTranscodingMetadata metadata, CancellationToken ct)
    {
        var unknown = new List<string>();
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            return unknown; // Malformed JSON: transcoding answers it with its own 400.
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return unknown;
            }
            var fields = BodyFields.GetOrAdd(metadata.MethodDescriptor.FullName, _ => BodyFieldsOf(metadata));
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!fields.Contains(property.Name))
                {
                    unknown.Add(property.Name);
                }
            }
        }
        return unknown;
    }

    /// <summary>Per method (a handful per server): the JSON and proto names a body may use.</summary>
    private static readonly ConcurrentDictionary<string, FrozenSet<string>> BodyFields = new(StringComparer.Ordinal);

    /// <summary>The fields of the request message that are not bound from the path, by JSON and by proto name.</summary>
    private static FrozenSet<string> BodyFieldsOf(GrpcJsonTranscodingMetadata metadata)
    {
        var pathBound = PathVariable().Matches(PathOf(metadata.HttpRule)).Select(m => m.Groups[1].Value).ToHashSet();
        return metadata.MethodDescriptor.InputType.Fields.InDeclarationOrder()
            .Where(f => !pathBound.Contains(f.Name))
            .SelectMany(f => new[] { f.Name, f.JsonName })
            .ToFrozenSet(StringComparer.Ordinal);
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
