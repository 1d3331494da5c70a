using System.Text.Json;

namespace GrpcSync.Api.Tests.Fuzz;

public enum FieldKind
{
    String,
    Integer,
    Enum,
    Object,
    Other,
}

/// <summary>A query parameter or body field of a route, as the OpenAPI document describes it.</summary>
public sealed record ApiField(string Name, FieldKind Kind, IReadOnlyList<string> EnumValues);

/// <summary>One REST route (path template + method) of the OpenAPI document.</summary>
public sealed record ApiRoute(string Method, string Template, IReadOnlyList<string> PathParameters, IReadOnlyList<ApiField> Query,
    IReadOnlyList<ApiField>? Body)
{
    public string Label => $"{Method} {Template}";
}

/// <summary>
/// Reads the routes to fuzz from the server's own <c>/swagger/v1/swagger.json</c>, so a new route or field is
/// covered without touching the storm. Body fields bound from the path (transcoding lists them in the body
/// schema too) are left out: sending them in the body is one of the mutations.
/// </summary>
public static class OpenApiRoutes
{
    public static IReadOnlyList<ApiRoute> Read(JsonElement document)
    {
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var routes = new List<ApiRoute>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var pathParameters = new List<string>();
                var query = new List<ApiField>();
                if (operation.Value.TryGetProperty("parameters", out var parameters))
                {
                    foreach (var parameter in parameters.EnumerateArray())
                    {
                        var name = parameter.GetProperty("name").GetString()!;
                        if (parameter.GetProperty("in").GetString() == "path")
                        {
                            pathParameters.Add(name);
                        }
                        else if (parameter.GetProperty("in").GetString() == "query")
                        {
                            query.Add(FieldOf(name, parameter.GetProperty("schema"), schemas));
                        }
                    }
                }
                List<ApiField>? body = null;
                if (operation.Value.TryGetProperty("requestBody", out var requestBody))
                {
                    var schema = Resolve(requestBody.GetProperty("content").GetProperty("application/json").GetProperty("schema"), schemas);
                    body = schema.TryGetProperty("properties", out var properties)
                        ? properties.EnumerateObject().Where(p => !pathParameters.Contains(p.Name)).Select(p => FieldOf(p.Name, p.Value, schemas)).ToList()
                        : [];
                }
                routes.Add(new ApiRoute(operation.Name.ToUpperInvariant(), path.Name, pathParameters, query, body));
            }
        }
        return routes;
    }

    private static ApiField FieldOf(string name, JsonElement schema, JsonElement schemas)
    {
        var isStruct = schema.TryGetProperty("$ref", out var reference) && reference.GetString()!.EndsWith("/Struct", StringComparison.Ordinal);
        schema = Resolve(schema, schemas);
        if (schema.TryGetProperty("enum", out var values))
        {
            return new ApiField(name, FieldKind.Enum, values.EnumerateArray().Select(v => v.ToString()).ToArray());
        }
        var type = schema.TryGetProperty("type", out var t) ? t.GetString() : null;
        var kind = type switch
        {
            "string" => FieldKind.String,
            "integer" => FieldKind.Integer,
            "object" => FieldKind.Object,
            _ when isStruct => FieldKind.Object,
            _ => FieldKind.Other,
        };
        return new ApiField(name, kind, []);
    }

    private static JsonElement Resolve(JsonElement schema, JsonElement schemas) =>
        schema.TryGetProperty("$ref", out var reference)
            ? schemas.GetProperty(reference.GetString()!["#/components/schemas/".Length..])
            : schema;
}
