using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>
/// Generates the REST storm's bad requests from the OpenAPI routes. A case starts from a plausible request
/// for a route (valid body, a victim's or a random id) and applies one mutation, sometimes a second one from
/// the header family: bad path ids, bad query values, broken/huge/deep/mistyped JSON bodies, unknown fields,
/// odd headers and charsets, bad tokens, wrong methods, or a hand-written HTTP/1.1 request for what HttpClient
/// will not send.
/// <para>
/// Every mutation knows whether it makes the request one the server must reject whoever sends it. A victim's
/// own token is only ever used with such requests, so the victims' data must read back unchanged; strangers
/// send the rest (on id routes their requests must be rejected too: the ids are the victims' or random).
/// </para>
/// </summary>
public sealed class RestFuzzGenerator(IReadOnlyList<ApiRoute> routes, FuzzTokens tokens, VictimTenants victims)
{
    public const int Storm = 1;

    /// <summary>Fields whose values the API validates by format, so a junk value must be rejected.</summary>
    private static readonly Dictionary<string, string[]> JunkByField = new(StringComparer.Ordinal)
    {
        ["integration"] = ["Google Drive", "", "GOOGLEDRIVE", "google drive", new string('g', 65), "é", "google-drive!", "\u0000"],
        ["pipeline"] = ["", "Files", "no such pipeline", new string('p', 300), "é"],
        ["incrementalAccumulatorFrequency"] = ["", "7m", "P1D", "1 h", "-5m", "0m", "99999999999h", "5 m", "1y"],
        ["displayName"] = ["", new string('d', 201), new string('d', 5000)],
        ["type"] = ["NOPE", "SYNC_RUN_TYPE_NOPE", "42x", "TYPE_FULL"],
    };

    /// <summary>Query parameters the API validates (UUID, integration key, its own opaque tokens).</summary>
    private static readonly HashSet<string> ValidatedQuery = new(StringComparer.Ordinal) { "credentialId", "integration", "pageToken", "cursor" };

    private static readonly string[] ContentTypes =
    [
        "application/json; charset=bogus", "application/json; charset=\"\"", "application/json; charset=\"utf-8\"", "application/json; charset=utf-16",
        "application/json; charset=UTF-8", "application/json;charset=utf-8", "application/json; charset=utf-32", "application/json; charset=iso-8859-1",
        "application/json; charset=us-ascii", "application/json; charset=utf-16be", "application/json; charset=", "application/json; charset",
        "application/json; charset=utf-8; charset=utf-16", "application/json; boundary=x", "application/json;;;", "text/plain", "text/json",
        "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/grpc", "APPLICATION/JSON",
        "application/problem+json", "application/json, text/plain", "*/*", "", "application/jsonx", "json",
    ];

    private static readonly string[] Reencodings = ["utf-16", "utf-32", "iso-8859-1", "us-ascii", "utf-16be"];

    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed class Draft(ApiRoute route)
    {
        public ApiRoute Route { get; } = route;
        public string Method { get; set; } = route.Method;
        public Dictionary<string, string?> Segments { get; } = route.PathParameters.ToDictionary(p => p, _ => (string?)null);
        public Func<string, string>? PathTransform { get; set; }
        public string? TargetOverride { get; set; }
        public List<string> Query { get; } = [];
        public JsonObject? Json { get; set; }
        public byte[]? BodyBytes { get; set; }
        public string? ContentType { get; set; }
        public Encoding? BodyEncoding { get; set; }
        public List<KeyValuePair<string, string>> Headers { get; } = [];
        public bool Chunked { get; set; }
        public FuzzToken? Token { get; set; }
        public bool Rejecting { get; set; }
        public List<string> Kinds { get; } = [];
        public Func<Draft, string, byte[]?, (byte[] Raw, bool HalfClose)>? Raw { get; set; }
        public RestLayer Layer { get; set; } = RestLayer.App;

        public void Mark(string kind, bool rejecting)
        {
            Kinds.Add(kind);
            Rejecting |= rejecting;
        }
    }

    public RestFuzzCase Generate(int seed, int index)
    {
        var random = FuzzSeed.ForCase(seed, Storm, index);
        var route = JunkValues.Pick(random, routes);
        var draft = new Draft(route);
        if (route.Body is not null)
        {
            draft.Json = ValidBody(route, random);
            draft.ContentType = "application/json";
        }

        var family = random.Next(100);
        if (family < 14)
        {
            MutatePath(draft, random);
        }
        else if (family < 22)
        {
            MutateQuery(draft, random);
        }
        else if (family < 50)
        {
            MutateBody(draft, random);
        }
        else if (family < 66)
        {
            MutateHeaders(draft, random);
        }
        else if (family < 77)
        {
            MutateToken(draft, random);
        }
        else if (family < 85)
        {
            MutateMethod(draft, random);
        }
        else
        {
            MutateRaw(draft, random);
        }
        if (draft.Raw is null && random.Next(100) < 25)
        {
            MutateHeaders(draft, random);
        }

        ChooseToken(draft, random);
        return Build(draft, index, random);
    }

    // ---- Plausible starting points ----

    /// <summary>
    /// A body the route would accept from the right caller. A credentialId in it is a victim's or a random one,
    /// never the caller's own, so a stranger's request carrying it must be refused.
    /// </summary>
    private JsonObject ValidBody(ApiRoute route, Random random)
    {
        var drive = random.Next(2) == 0;
        var body = new JsonObject();
        foreach (var field in route.Body!)
        {
            JsonNode? value = field.Name switch
            {
                "integration" => drive ? "googledrive" : "salesforce",
                "pipeline" => drive ? "files" : "contacts",
                "displayName" => "fuzz",
                "secret" => "fuzz-secret",
                "secretText" => null, // one of the secret oneof: "secret" carries it
                "verify" => null, // the fuzzed integrations have no source to verify against
                "configurationName" => "fuzz",
                "incrementalAccumulatorFrequency" => JunkValues.Pick(random, ["5m", "1h", "24h"]),
                "credentialId" when random.Next(2) == 0 => random.Next(3) == 0
                    ? JunkValues.Uuid(random).ToString()
                    : JunkValues.Pick(random, victims.AllCredentialIds.ToArray()),
                "credentialId" => null,
                "etag" => null,
                _ => field.Kind switch
                {
                    FieldKind.Enum => field.EnumValues.LastOrDefault(v => !v.Contains("UNSPECIFIED", StringComparison.Ordinal)) ?? "x",
                    FieldKind.Object => new JsonObject { ["folder"] = "fuzz" },
                    FieldKind.Integer => 1,
                    _ => "x",
                },
            };
            if (value is not null)
            {
                body[field.Name] = value;
            }
        }
        return body;
    }

    private string IdFor(string parameter, FuzzToken token, Random random)
    {
        var owner = victims.All.FirstOrDefault(v => token.Kind == TokenKind.Owner && token.Authorization == "Bearer " + v.User.Token);
        IReadOnlyList<string> mine = parameter switch
        {
            "syncId" => owner?.SyncIds ?? [],
            "credentialId" => owner?.CredentialIds ?? [],
            "runId" => owner?.RunIds ?? [],
            _ => [],
        };
        IReadOnlyList<string> theirs = parameter switch
        {
            "syncId" => victims.AllSyncIds.ToArray(),
            "credentialId" => victims.AllCredentialIds.ToArray(),
            "runId" => victims.AllRunIds.ToArray(),
            _ => [],
        };
        var roll = random.Next(100);
        if (mine.Count > 0 && roll < 75)
        {
            return JunkValues.Pick(random, mine);
        }
        if (theirs.Count > 0 && roll < 85)
        {
            var id = JunkValues.Pick(random, theirs);
            return random.Next(4) == 0 ? id.ToUpperInvariant() : id;
        }
        return JunkValues.Uuid(random).ToString();
    }

    // ---- Mutations ----

    private void MutatePath(Draft draft, Random random)
    {
        var route = draft.Route;
        var choice = random.Next(route.PathParameters.Count > 0 ? 8 : 6);
        switch (choice)
        {
            case 0:
                draft.PathTransform = p => p + "/" + JunkValues.Pick(random, ["bogus", "%ZZ", "x;y", "%2F", "0"]);
                draft.Mark("path.extra-segment", true);
                break;
            case 1:
                draft.TargetOverride = JunkValues.Pick(random, ["/api/nope", "/api", "/api/syncs/x/y/z/w", "/swagger/v1/nope.json", "/api/credentials/x/y", "/API/NOPE", "/api/syncs/%2e%2e/%2e%2e/nope"]);
                draft.Mark("path.unknown-route", true);
                break;
            case 2:
                draft.PathTransform = p => p + "/";
                draft.Mark("path.trailing-slash", false);
                break;
            case 3:
                draft.PathTransform = p => p.Replace("/api/", "/api//", StringComparison.Ordinal);
                draft.Mark("path.double-slash", false);
                break;
            case 4:
                draft.PathTransform = p => p.Replace("/api/syncs", "/API/Syncs", StringComparison.Ordinal).Replace("/api/credentials", "/Api/CREDENTIALS", StringComparison.Ordinal);
                draft.Mark("path.case", false);
                break;
            case 5:
                draft.PathTransform = p => p + ";jsessionid=" + JunkValues.Pick(random, ["x", "%ZZ", "1"]);
                draft.Mark("path.matrix-parameter", true);
                break;
            case 6:
                {
                    var parameter = JunkValues.Pick(random, route.PathParameters);
                    draft.Segments[parameter] = JunkValues.PercentJunk(random);
                    draft.Mark("path.percent-junk-id", true);
                    break;
                }
            default:
                {
                    var parameter = JunkValues.Pick(random, route.PathParameters);
                    var value = JunkValues.NonUuid(random);
                    draft.Segments[parameter] = EncodeSegment(value);
                    // An empty or dot segment changes which route matches (GET /api/syncs/ is the list), so it
                    // is not a rejection by itself.
                    var emptyOrDot = value is "" or "." or "..";
                    draft.Mark(emptyOrDot ? "path.empty-or-dot-id" : "path.junk-id", !emptyOrDot);
                    break;
                }
        }
    }

    private static void MutateQuery(Draft draft, Random random)
    {
        var query = draft.Route.Query;
        if (query.Count == 0 || random.Next(5) == 0)
        {
            draft.Query.Add(JunkValues.Pick(random, ["unknownParam=1", "%ZZ=1", "a=%ZZ", "=x", "&&&", "x", "callback=alert(1)", "$filter=1", "fields=*", "alt=proto"]));
            draft.Mark("query.unknown-parameter", false);
            return;
        }
        var field = JunkValues.Pick(random, query);
        var validated = field.Kind == FieldKind.Integer || ValidatedQuery.Contains(field.Name);
        switch (random.Next(5))
        {
            case 0:
                {
                    draft.Query.Add($"{field.Name}=1");
                    draft.Query.Add($"{field.Name}=2");
                    draft.Mark("query.duplicate", false);
                    break;
                }
            case 1:
                draft.Query.Add(random.Next(2) == 0 ? field.Name : field.Name + "=");
                draft.Mark("query.no-value", false);
                break;
            case 2:
                draft.Query.Add($"{field.Name}={JunkValues.PercentJunk(random)}");
                draft.Mark("query.percent-junk", validated);
                break;
            default:
                if (field.Kind == FieldKind.Integer)
                {
                    if (random.Next(3) == 0)
                    {
                        draft.Query.Add($"{field.Name}={Uri.EscapeDataString(JunkValues.Pick(random, ["-1", "0", "2147483647", "-2147483648", "+5", " 5", "1000000"]))}");
                        draft.Mark("query.int-edge", false);
                    }
                    else
                    {
                        draft.Query.Add($"{field.Name}={Uri.EscapeDataString(JunkValues.Pick(random, ["abc", "1e3", "0x10", "1.5", "NaN", "١٢", "99999999999", "-99999999999", "5abc", "true"]))}");
                        draft.Mark("query.int-junk", true);
                    }
                }
                else
                {
                    var value = field.Name == "credentialId" ? JunkValues.NonUuid(random) : JunkValues.HostileText(random);
                    draft.Query.Add($"{field.Name}={EncodeSegment(value)}");
                    // Hostile text can happen to be a valid integration key ("syncs", "0"): then a 200 is right.
                    var acceptable = field.Name == "integration" && System.Text.RegularExpressions.Regex.IsMatch(value, "^[a-z0-9]{1,64}$");
                    draft.Mark("query.junk-value", validated && value.Length > 0 && !acceptable);
                }
                break;
        }
    }

    private void MutateBody(Draft draft, Random random)
    {
        var route = draft.Route;
        if (route.Body is null)
        {
            draft.BodyBytes = random.Next(2) == 0 ? JunkValues.Bytes(random, 300) : Encoding.UTF8.GetBytes("""{"syncId":"x","junk":[1,2,3]""");
            draft.ContentType = random.Next(3) == 0 ? null : "application/json";
            draft.Mark("body.on-a-route-without-body", false);
            return;
        }
        var valid = draft.Json!.ToJsonString(RelaxedJson);
        var fields = route.Body;
        switch (random.Next(17))
        {
            case 0:
                draft.BodyBytes = Encoding.UTF8.GetBytes(valid[..random.Next(1, valid.Length)]);
                draft.Mark("body.truncated", true);
                break;
            case 16:
                {
                    // The unknown-field check must hold whatever charset the body is (correctly) declared in.
                    var charset = JunkValues.Pick(random, Reencodings);
                    draft.Json!["zzUnknown"] = "x";
                    draft.ContentType = "application/json; charset=" + charset;
                    draft.BodyEncoding = Encoding.GetEncoding(charset);
                    draft.Mark("body.unknown-field-in-another-charset", true);
                    break;
                }
            case 1:
                {
                    var bytes = JunkValues.Bytes(random, 400);
                    if (bytes[0] == '{')
                    {
                        bytes[0] = 0x01;
                    }
                    draft.BodyBytes = bytes;
                    draft.Mark("body.random-bytes", true);
                    break;
                }
            case 2:
                draft.BodyBytes = Encoding.UTF8.GetBytes(JunkValues.Pick(random,
                [
                    "{'integration':'x'}", "{integration:\"x\"}", valid[..^1] + ",}", "/*c*/" + valid, valid + "//c", "{\"a\":NaN}",
                    "{\"a\":Infinity}", valid + "x", valid + valid, "{\"a\":01}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\there\"}",
                    "{" + new string(' ', 20000), "{\"a\"}", "{\"a\":}", "{,}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "\u0000{}",
                ]));
                draft.Mark("body.syntax-junk", true);
                break;
            case 3:
                draft.BodyBytes = Encoding.UTF8.GetBytes(JunkValues.Pick(random, ["[]", "[{}]", "\"x\"", "1", "true", "null", "-0", "[" + valid + "]"]));
                draft.Mark("body.not-an-object", true);
                break;
            case 4 when fields.Count > 0:
                {
                    var field = JunkValues.Pick(random, fields);
                    draft.Json![field.Name] = field.Kind switch
                    {
                        FieldKind.Object => JunkValues.Pick<JsonNode>(random, ["str", 5, new JsonArray(1), true]),
                        FieldKind.Enum => JunkValues.Pick<JsonNode>(random, [new JsonObject(), new JsonArray(), true, 1.5, new JsonArray(1)]),
                        FieldKind.Integer => JunkValues.Pick<JsonNode>(random, ["abc", new JsonObject(), 1.5, true]),
                        _ => JunkValues.Pick<JsonNode>(random, [5, true, new JsonObject(), new JsonArray(), new JsonArray("x"), 1.5]),
                    };
                    draft.Mark("body.wrong-type", true);
                    break;
                }
            case 5 when fields.Count > 0:
                draft.Json![JunkValues.Pick(random, fields).Name] = null;
                draft.Mark("body.null-field", false);
                break;
            case 6:
            case 7:
                {
                    var known = fields.Count > 0 ? JunkValues.Pick(random, fields).Name : "name";
                    var key = random.Next(9) switch
                    {
                        0 => known + "x",
                        1 => char.ToUpperInvariant(known[0]) + known[1..],
                        2 => known.ToUpperInvariant(),
                        3 => route.PathParameters.Count > 0 ? JunkValues.Pick(random, route.PathParameters) : "syncId",
                        4 => JunkValues.Pick(random, ["@type", "__proto__", "constructor", "$schema", "id", "userId", "projectId"]),
                        5 => "",
                        6 => "ñame",
                        7 => new string('k', 1000),
                        _ => known.Replace("Id", "ID", StringComparison.Ordinal) is var typo && typo != known ? typo : known + "_",
                    };
                    if (key == "id" && fields.Any(f => f.Name == "id"))
                    {
                        key = "idd";
                    }
                    draft.Json![key] = JunkValues.Pick<JsonNode>(random, ["x", 1, new JsonObject(), true]);
                    draft.Mark("body.unknown-field", true);
                    break;
                }
            case 8:
                {
                    var junkable = fields.Where(f => JunkByField.ContainsKey(f.Name) || f.Name == "credentialId").ToArray();
                    if (junkable.Length == 0)
                    {
                        goto case 3;
                    }
                    var field = JunkValues.Pick(random, junkable);
                    draft.Json![field.Name] = field.Name == "credentialId" ? JunkValues.NonUuid(random) : JunkValues.Pick(random, JunkByField[field.Name]);
                    if (field.Name == "credentialId" && draft.Json[field.Name]!.GetValue<string>().Length == 0)
                    {
                        draft.Json[field.Name] = "x";
                    }
                    draft.Mark("body.junk-value", true);
                    break;
                }
            case 9:
                {
                    var size = random.Next(1, 4) * 1024 * 1024;
                    switch (random.Next(4))
                    {
                        case 0:
                            {
                                var target = fields.FirstOrDefault(f => f.Name is "integration" or "credentialId" or "displayName" or "incrementalAccumulatorFrequency")?.Name ?? "zzHuge";
                                draft.Json![target] = new string('h', size);
                                draft.Mark("body.huge-value", true);
                                break;
                            }
                        case 1:
                            {
                                var many = new StringBuilder("{");
                                for (var i = 0; i < 50_000; i++)
                                {
                                    many.Append(i == 0 ? "" : ",").Append("\"k").Append(i).Append("\":").Append(i);
                                }
                                draft.BodyBytes = Encoding.UTF8.GetBytes(many.Append('}').ToString());
                                draft.Mark("body.50000-unknown-keys", true);
                                break;
                            }
                        case 2:
                            draft.BodyBytes = Encoding.UTF8.GetBytes(new string(' ', size) + valid + new string('\n', 1000));
                            draft.Mark("body.huge-whitespace", false);
                            break;
                        default:
                            draft.BodyBytes = Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Repeat("\"" + new string('a', 1000) + "\"", size / 1003)) + "]");
                            draft.Mark("body.huge-array", true);
                            break;
                    }
                    break;
                }
            case 10:
                {
                    var depth = random.Next(3) == 0 ? random.Next(65, 200) : random.Next(1000, 100_000);
                    var nested = new string('[', depth) + new string(']', depth);
                    switch (random.Next(3))
                    {
                        case 0:
                            draft.BodyBytes = Encoding.UTF8.GetBytes(nested);
                            draft.Mark("body.deep-array", true);
                            break;
                        case 1:
                            draft.BodyBytes = Encoding.UTF8.GetBytes(valid[..^1] + (valid.Length > 2 ? "," : "") + "\"zzDeep\":" + nested + "}");
                            draft.Mark("body.deep-unknown-field", true);
                            break;
                        default:
                            {
                                var objectField = fields.FirstOrDefault(f => f.Kind == FieldKind.Object);
                                if (objectField is null)
                                {
                                    goto case 0;
                                }
                                var deepObject = string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                                draft.Json!.Remove(objectField.Name);
                                var rest = draft.Json.ToJsonString(RelaxedJson);
                                draft.BodyBytes = Encoding.UTF8.GetBytes(rest[..^1] + (rest.Length > 2 ? "," : "") + $"\"{objectField.Name}\":" + deepObject + "}");
                                draft.Mark("body.deep-struct", false);
                                break;
                            }
                    }
                    break;
                }
            case 11:
                draft.BodyBytes = [];
                draft.Mark("body.empty", false);
                break;
            case 12 when fields.Count > 0:
                {
                    // Invalid UTF-8 inside a string value of a validated field, or of an unknown one.
                    var field = fields.FirstOrDefault(f => f.Name is "integration" or "credentialId" or "incrementalAccumulatorFrequency")?.Name ?? "zzBytes";
                    draft.Json!.Remove(field);
                    var rest = Encoding.UTF8.GetBytes(draft.Json.ToJsonString(RelaxedJson));
                    draft.BodyBytes = [.. rest[..^1], .. Encoding.UTF8.GetBytes((rest.Length > 2 ? "," : "") + $"\"{field}\":\"a"), .. JunkValues.InvalidUtf8(random), .. "b\"}"u8];
                    draft.Mark("body.invalid-utf8", true);
                    break;
                }
            case 13:
                {
                    var field = fields.FirstOrDefault(f => f.Name is "integration" or "credentialId" or "incrementalAccumulatorFrequency")?.Name ?? "zzEscape";
                    draft.Json!.Remove(field);
                    var rest = draft.Json.ToJsonString(RelaxedJson);
                    draft.BodyBytes = Encoding.UTF8.GetBytes(rest[..^1] + (rest.Length > 2 ? "," : "") + $"\"{field}\":\"" + JunkValues.Pick(random, ["\\ud800", "\\udfff", "\\ud800\\u0041", "\\uDBFF"]) + "\"}");
                    draft.Mark("body.lone-surrogate", true);
                    break;
                }
            case 14 when fields.Count > 0:
                {
                    var field = JunkValues.Pick(random, fields).Name;
                    draft.BodyBytes = Encoding.UTF8.GetBytes(valid[..^1] + (valid.Length > 2 ? "," : "") + $"\"{field}\":\"x\",\"{field}\":null}}");
                    draft.Mark("body.duplicate-key", false);
                    break;
                }
            case 15:
                draft.BodyBytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(valid)];
                draft.Mark("body.utf8-bom", false);
                break;
            default:
                draft.BodyBytes = Encoding.UTF8.GetBytes(valid[..random.Next(1, valid.Length)]);
                draft.Mark("body.truncated", true);
                break;
        }
    }

    private static void MutateHeaders(Draft draft, Random random)
    {
        switch (random.Next(10))
        {
            case 0:
            case 1:
            case 2:
                {
                    if (random.Next(8) == 0)
                    {
                        draft.ContentType = null;
                        draft.Mark("header.missing-content-type", false);
                        break;
                    }
                    var contentType = JunkValues.Pick(random, ContentTypes);
                    draft.ContentType = contentType;
                    draft.BodyBytes ??= draft.Json is null ? [] : null;
                    var charset = Reencodings.FirstOrDefault(c => contentType.EndsWith("charset=" + c, StringComparison.OrdinalIgnoreCase));
                    if (charset is not null && draft.Json is not null && draft.BodyBytes is null && random.Next(2) == 0)
                    {
                        draft.BodyEncoding = Encoding.GetEncoding(charset);
                        draft.Mark("header.content-type-and-body-in-that-charset", false);
                    }
                    else
                    {
                        draft.Mark("header.content-type", false);
                    }
                    break;
                }
            case 3:
                {
                    var encoding = JunkValues.Pick(random, ["gzip", "gzip", "br", "deflate", "bogus", "identity", "gzip, gzip", "GZIP"]);
                    draft.Headers.Add(new("Content-Encoding", encoding));
                    if (encoding == "gzip" && random.Next(2) == 0 && draft.Json is not null && draft.BodyBytes is null)
                    {
                        using var compressed = new MemoryStream();
                        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
                        {
                            gzip.Write(Encoding.UTF8.GetBytes(draft.Json.ToJsonString(RelaxedJson)));
                        }
                        draft.BodyBytes = compressed.ToArray();
                        draft.Mark("header.content-encoding-gzip-valid", false);
                    }
                    else
                    {
                        draft.BodyBytes ??= JunkValues.Bytes(random, 200);
                        draft.Mark("header.content-encoding-with-garbage", false);
                    }
                    break;
                }
            case 4:
                draft.Chunked = true;
                draft.Mark("header.transfer-encoding-chunked", false);
                break;
            case 5:
                draft.Headers.Add(new(random.Next(2) == 0 ? "Accept" : "Accept-Charset",
                    JunkValues.Pick(random, ["application/xml", "text/html", "*/*;q=0", "application/json;q=0", "image/png", "utf-16", "iso-8859-1", "bogus", "application/grpc"])));
                draft.Mark("header.accept", false);
                break;
            case 6:
                draft.Headers.Add(new("If-Match", JunkValues.Pick(random, ["\"nope\"", "W/\"x\"", "garbage", "\"\"", "\"" + new string('e', 3000) + "\""])));
                draft.Mark("header.if-match-junk", false);
                break;
            case 7:
                draft.Headers.Add(new(JunkValues.Pick(random, ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"]), JunkValues.Pick(random, ["DELETE", "PATCH", "PUT", "POST"])));
                draft.Mark("header.method-override", false);
                break;
            case 8:
                draft.Headers.Add(new("X-Fuzz-Huge", new string('v', random.Next(8_000, 16_000))));
                draft.Mark("header.huge-value", false);
                break;
            default:
                for (var i = 0; i < 80; i++)
                {
                    draft.Headers.Add(new($"X-Fuzz-{i}", JunkValues.Pick(random, ["1", "", "x y", "\"q\""])));
                }
                draft.Mark("header.80-extra-headers", false);
                break;
        }
    }

    private void MutateToken(Draft draft, Random random)
    {
        if (random.Next(5) == 0)
        {
            var token = tokens.StrangerToken;
            var authorization = JunkValues.Pick(random, ["bearer " + token, "BEARER " + token, "Bearer  " + token, "Bearer\t" + token, " Bearer " + token + " "]);
            draft.Token = new FuzzToken("stranger proj-a, odd spelling of the scheme", authorization, TokenKind.Stranger);
            draft.Mark("token.odd-scheme-spelling", false);
            return;
        }
        draft.Token = JunkValues.Pick(random, tokens.Invalid);
        draft.Mark("token.invalid", true);
    }

    private void MutateMethod(Draft draft, Random random)
    {
        var present = routes.Where(r => r.Template == draft.Route.Template).Select(r => r.Method).ToHashSet();
        var candidates = new[] { "PUT", "POST", "GET", "PATCH", "DELETE", "FOO", "TRACE", "OPTIONS", "HEAD", "PROPFIND" }
            .Where(m => !present.Contains(m) && !(m == "HEAD" && present.Contains("GET")))
            .ToArray();
        var method = JunkValues.Pick(random, candidates);
        draft.Method = method;
        if (method is "TRACE" or "HEAD")
        {
            draft.Json = null;
            draft.ContentType = null;
        }
        draft.Mark("method.wrong", method != "OPTIONS");
    }

    /// <summary>Requests HttpClient will not produce, written by hand and sent over a TcpClient.</summary>
    private static void MutateRaw(Draft draft, Random random)
    {
        var hasBody = draft.Route.Body is not null;
        switch (random.Next(26))
        {
            case 0:
                draft.Raw = (d, target, body) => (Render(d, target, body, chunkedBody: "zz\r\n{}\r\n0\r\n\r\n"), false);
                draft.Mark("raw.bad-chunk-size", hasBody);
                break;
            case 1:
                draft.Raw = (d, target, body) => (Render(d, target, body, chunkedBody: "FFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n"), false);
                draft.Mark("raw.chunk-size-overflow", hasBody);
                break;
            case 2:
                draft.Raw = (d, target, body) =>
                {
                    body ??= "{}"u8.ToArray();
                    return (Render(d, target, body, contentLength: (body.Length + 100).ToString(System.Globalization.CultureInfo.InvariantCulture)), true);
                };
                draft.Mark("raw.body-shorter-than-content-length", hasBody);
                break;
            case 3:
                draft.Raw = (d, target, body) => (Render(d, target, body, chunkedBody: "64\r\n{\"integration\":"), true);
                draft.Mark("raw.truncated-chunk", hasBody);
                break;
            case 4:
                draft.Raw = (d, target, body) =>
                {
                    body ??= "{}"u8.ToArray();
                    var chunked = $"{body.Length:X}\r\n{Encoding.Latin1.GetString(body)}\r\n0\r\n\r\n";
                    return (Render(d, target, body, contentLength: "2", chunkedBody: chunked), false);
                };
                draft.Mark("raw.content-length-and-chunked", false);
                break;
            case 5:
                {
                    // Well-formed UTF-8 reaches the application; bytes that are not UTF-8 Kestrel refuses while parsing the headers.
                    var utf8 = random.Next(2) == 0;
                    var value = utf8 ? JunkValues.Pick<byte[]>(random, [[0xC3, 0xA9], [0xE2, 0x80, 0xAE], [0xF0, 0x9F, 0x92, 0xA5]]) : JunkValues.InvalidUtf8(random);
                    draft.Raw = (d, target, body) => (Render(d, target, body, extraHeaderBytes: [.. "X-Fuzz: "u8, .. value, .. "\r\n"u8]), false);
                    draft.Mark(utf8 ? "raw.utf8-header-value" : "raw.non-utf8-header-value", false);
                    draft.Layer = utf8 ? RestLayer.App : RestLayer.Protocol;
                    break;
                }
            case 6:
                draft.Token = new FuzzToken("bearer token with non-ASCII bytes", null, TokenKind.Invalid);
                draft.Raw = (d, target, body) => (Render(d, target, body, extraHeaderBytes: [.. "Authorization: Bearer "u8, 0xC3, 0xA9, .. "\r\n"u8]), false);
                draft.Mark("raw.non-ascii-authorization", true);
                break;
            case 7:
                draft.Raw = (d, target, body) =>
                {
                    d.ContentType = null;
                    return (Render(d, target, body ?? "{}"u8.ToArray(), extraHeaderBytes: [.. "Content-Type: application/json; charset="u8, 0xC3, 0xA9, .. "\r\n"u8]), false);
                };
                draft.Mark("raw.non-ascii-content-type", false);
                break;
            case 8:
                draft.Raw = (d, target, body) => (Render(d, target, body, method: d.Method.ToLowerInvariant()), false);
                draft.Mark("raw.lowercase-method", false);
                break;
            case 9:
                draft.Raw = (d, target, body) => (Render(d, target.StartsWith('/') ? "http://127.0.0.1" + target : target, body), false);
                draft.Mark("raw.absolute-form-target", false);
                break;
            case 10:
                draft.Raw = (d, target, body) => (Render(d, target, body, version: "HTTP/1.0", host: false), false);
                draft.Mark("raw.http-1.0-without-host", false);
                break;
            case 11:
                draft.Raw = (d, target, body) => (Render(d, target, body, lineEnd: "\n"), false);
                draft.Mark("raw.bare-lf-line-endings", false);
                break;
            case 12:
                draft.Raw = (d, target, body) => (Render(d, target, body ?? "{}"u8.ToArray(), extraHeaderBytes: "Expect: 100-continue\r\n"u8.ToArray()), false);
                draft.Mark("raw.expect-100-continue", false);
                break;
            case 13:
                draft.Raw = (d, target, body) => (Render(d, target, body, extraHeaderBytes: "Authorization: Bearer garbage\r\n"u8.ToArray()), false);
                draft.Mark("raw.two-authorization-headers", false);
                break;
            case 14:
                draft.Raw = (d, target, body) => (Render(d, target, body ?? "{}"u8.ToArray(), extraHeaderBytes: "Content-Type: text/plain\r\n"u8.ToArray()), false);
                draft.Mark("raw.two-content-types", false);
                break;
            case 15:
                draft.Raw = (d, target, body) => (Render(d, target.Replace("/api/", "/api/x/../", StringComparison.Ordinal), body), false);
                draft.Mark("raw.dot-segments", false);
                break;
            // From here on the request breaks HTTP/1.1 itself; Kestrel answers before the application runs. Only
            // what RFC 9112 says a server MUST refuse (no Host, conflicting or invalid Content-Length), or what
            // cannot name anything valid (an invalid method, a junk path segment), counts as a rejection: a
            // lenient parser may repair the rest and serve the request.
            case 16:
                draft.Raw = (d, target, body) => (Render(d, ReplaceLastSegment(target, "%00"), body), false);
                draft.Mark("raw.nul-in-path", false);
                draft.Layer = RestLayer.Protocol;
                break;
            case 17:
                draft.Raw = (d, target, body) => (Render(d, ReplaceLastSegment(target, "\u00c3\u00a9"), body), false);
                draft.Mark("raw.raw-utf8-in-path", true);
                draft.Layer = RestLayer.Protocol;
                break;
            case 18:
                draft.Raw = (d, target, body) => (Render(d, target, body, host: false), false);
                draft.Mark("raw.http-1.1-without-host", true);
                draft.Layer = RestLayer.Protocol;
                break;
            case 19:
                draft.Raw = (d, target, body) => (Render(d, target + (target.Contains('?') ? "&" : "?") + "q=" + new string('a', 9000), body), false);
                draft.Mark("raw.request-line-over-8k", false);
                draft.Layer = RestLayer.Protocol;
                break;
            case 20:
                draft.Raw = (d, target, body) => (Render(d, target, body, extraHeaderBytes: Encoding.ASCII.GetBytes("X-Fuzz: " + new string('a', 40_000) + "\r\n")), false);
                draft.Mark("raw.header-block-over-32k", false);
                draft.Layer = RestLayer.Protocol;
                break;
            case 21:
                draft.Raw = (d, target, body) => (Render(d, target.Insert(Math.Min(5, target.Length), " x"), body), false);
                draft.Mark("raw.space-in-target", false);
                draft.Layer = RestLayer.Protocol;
                break;
            case 22:
                draft.Raw = (d, target, body) => (Render(d, target, body, extraHeaderBytes: JunkValues.Pick(random, new byte[][]
                {
                    "X-Fuzz\r\n"u8.ToArray(), "X Fuzz: 1\r\n"u8.ToArray(), [.. "X"u8, 0x01, .. ": 1\r\n"u8], ": empty-name\r\n"u8.ToArray(),
                })), false);
                draft.Mark("raw.malformed-header-line", false);
                draft.Layer = RestLayer.Protocol;
                break;
            case 23:
                draft.Raw = (d, target, body) => (Render(d, target, body, method: JunkValues.Pick(random, ["G(T", "GE T", "PO\u0001ST", "{}"])), false);
                draft.Mark("raw.invalid-method-token", true);
                draft.Layer = RestLayer.Protocol;
                break;
            case 24:
                draft.Raw = (d, target, body) =>
                {
                    body ??= "{}"u8.ToArray();
                    return (Render(d, target, body, extraHeaderBytes: Encoding.ASCII.GetBytes($"Content-Length: {body.Length + 1}\r\n")), false);
                };
                draft.Mark("raw.two-different-content-lengths", true);
                draft.Layer = RestLayer.Protocol;
                break;
            default:
                draft.Raw = (d, target, body) => (Render(d, target, body ?? "{}"u8.ToArray(), contentLength: JunkValues.Pick(random, ["-1", "abc", "1.5", "0x2", "99999999999999999999"])), false);
                draft.Mark("raw.invalid-content-length", true);
                draft.Layer = RestLayer.Protocol;
                break;
        }
    }

    // ---- Caller, ids and the final request ----

    private void ChooseToken(Draft draft, Random random)
    {
        if (draft.Token is not null)
        {
            return;
        }
        var roll = random.Next(100);
        draft.Token = draft.Rejecting && roll < 45 ? JunkValues.Pick(random, tokens.Owners)
            : roll > 85 ? JunkValues.Pick(random, tokens.Invalid)
            : JunkValues.Pick(random, tokens.Strangers);
    }

    private RestFuzzCase Build(Draft draft, int index, Random random)
    {
        var token = draft.Token!;
        foreach (var parameter in draft.Segments.Keys.ToArray())
        {
            draft.Segments[parameter] ??= IdFor(parameter, token, random);
        }

        // Only a body still written from the JSON object is sure to carry the credential id to the server.
        var credentialInBody = draft.BodyBytes is null && draft.Json?["credentialId"] is JsonValue credential
            && credential.TryGetValue<string>(out var credentialId) && Guid.TryParse(credentialId, out _);

        var path = draft.Route.Template;
        foreach (var (parameter, segment) in draft.Segments)
        {
            path = path.Replace("{" + parameter + "}", segment, StringComparison.Ordinal);
        }
        if (draft.PathTransform is not null)
        {
            path = draft.PathTransform(path);
        }
        var target = (draft.TargetOverride ?? path) + (draft.Query.Count > 0 ? "?" + string.Join('&', draft.Query) : "");
        var body = draft.BodyBytes ?? (draft.Json is null ? null : (draft.BodyEncoding ?? Encoding.UTF8).GetBytes(draft.Json.ToJsonString(RelaxedJson)));

        // A stranger's request on an id route names a victim's id or a random one; either way it must be refused.
        var mustBeRejected = draft.Rejecting || token.Kind == TokenKind.Invalid
            || (token.Kind == TokenKind.Stranger && (draft.Route.PathParameters.Count > 0 || credentialInBody) && draft.TargetOverride is null
                && !draft.Kinds.Contains("path.empty-or-dot-id") && draft.Method != "OPTIONS");

        var headers = new List<KeyValuePair<string, string>>();
        if (token.Authorization is not null)
        {
            headers.Add(new("Authorization", token.Authorization));
        }
        if (draft.ContentType is not null)
        {
            headers.Add(new("Content-Type", draft.ContentType));
        }
        headers.AddRange(draft.Headers);

        byte[]? raw = null;
        var halfClose = false;
        if (draft.Raw is not null)
        {
            (raw, halfClose) = draft.Raw(draft, target, body);
        }
        return new RestFuzzCase
        {
            Index = index,
            Route = draft.Route.Label,
            Kinds = draft.Kinds,
            Method = draft.Method,
            Target = target,
            Headers = headers,
            Body = body,
            Chunked = draft.Chunked,
            Raw = raw,
            HalfClose = halfClose,
            MustBeRejected = mustBeRejected,
            Layer = draft.Layer,
            TokenLabel = token.Label,
            TokenKind = token.Kind,
            Authorization = token.Authorization,
        };
    }

    /// <summary>An HTTP/1.1 request of the draft, with the given deviations; always <c>Connection: close</c>.</summary>
    private static byte[] Render(Draft draft, string target, byte[]? body, string? method = null, string version = "HTTP/1.1",
        string lineEnd = "\r\n", bool host = true, string? contentLength = null, string? chunkedBody = null, byte[]? extraHeaderBytes = null)
    {
        var head = new StringBuilder();
        head.Append(method ?? draft.Method).Append(' ').Append(target).Append(' ').Append(version).Append(lineEnd);
        if (host)
        {
            head.Append("Host: 127.0.0.1").Append(lineEnd);
        }
        if (draft.Token?.Authorization is { } authorization)
        {
            head.Append("Authorization: ").Append(authorization).Append(lineEnd);
        }
        if (draft.ContentType is not null)
        {
            head.Append("Content-Type: ").Append(draft.ContentType).Append(lineEnd);
        }
        foreach (var (name, value) in draft.Headers)
        {
            head.Append(name).Append(": ").Append(value).Append(lineEnd);
        }
        if (chunkedBody is not null)
        {
            head.Append("Transfer-Encoding: chunked").Append(lineEnd);
        }
        if (contentLength is not null)
        {
            head.Append("Content-Length: ").Append(contentLength).Append(lineEnd);
        }
        else if (chunkedBody is null)
        {
            head.Append("Content-Length: ").Append(body?.Length ?? 0).Append(lineEnd);
        }
        head.Append("Connection: close").Append(lineEnd);
        // Latin-1 keeps any byte the target or headers deliberately carry (raw UTF-8 in a path is two Latin-1 chars).
        byte[] bytes = [.. Encoding.Latin1.GetBytes(head.ToString()), .. extraHeaderBytes ?? [], .. Encoding.ASCII.GetBytes(lineEnd)];
        if (chunkedBody is not null)
        {
            return [.. bytes, .. Encoding.Latin1.GetBytes(chunkedBody)];
        }
        return [.. bytes, .. body ?? []];
    }

    private static string ReplaceLastSegment(string target, string segment)
    {
        var path = target.Split('?')[0];
        var parts = path.Split('/');
        if (parts.Length > 2)
        {
            parts[^1] = segment;
        }
        return string.Join('/', parts) + (target.Contains('?') ? target[target.IndexOf('?')..] : "");
    }

    /// <summary>Percent-encodes a path segment, halving very long values until the request line stays under Kestrel's 8 KiB.</summary>
    private static string EncodeSegment(string value)
    {
        var encoded = Uri.EscapeDataString(value);
        while (encoded.Length > 4096)
        {
            value = value[..(value.Length / 2)];
            encoded = Uri.EscapeDataString(value);
        }
        return encoded;
    }
}
