using System.Text.Json;
using System.Text.RegularExpressions;

namespace GrpcSync.Connectors.S3;

/// <summary>
/// An S3 credential: <c>{"accessKeyId","secretAccessKey","region","endpoint"?,"verifyBucket"?}</c>. Without an
/// endpoint the AWS regional endpoint of the region is used; <c>verifyBucket</c> is only read by
/// <c>"verify": true</c> (a bucket the key may list, for keys scoped to buckets that cannot ListBuckets).
/// </summary>
internal sealed partial record S3Credentials(string AccessKeyId, string SecretAccessKey, string Region, Uri Endpoint, bool CustomEndpoint, string? VerifyBucket)
{
    private static readonly string[] Required = ["accessKeyId", "secretAccessKey", "region"];
    private static readonly string[] Known = [.. Required, "endpoint", "verifyBucket"];

    /// <summary>The shape problems of a secret (field paths <c>secret.*</c>); <paramref name="credentials"/> set when there are none.</summary>
    public static List<ConfigurationProblem> Parse(JsonElement secret, out S3Credentials? credentials)
    {
        credentials = null;
        var problems = new List<ConfigurationProblem>();
        if (secret.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ConfigurationProblem("secret",
                "must be a JSON object {\"accessKeyId\",\"secretAccessKey\",\"region\",\"endpoint\"?} for the s3 integration."));
            return problems;
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in secret.EnumerateObject())
        {
            var field = $"secret.{property.Name}";
            if (!Known.Contains(property.Name, StringComparer.Ordinal))
            {
                problems.Add(new ConfigurationProblem(field, $"is not a known field. Allowed: {string.Join(", ", Known)}."));
            }
            else if (property.Value.ValueKind != JsonValueKind.String)
            {
                problems.Add(new ConfigurationProblem(field, "must be a string."));
            }
            else if (property.Value.GetString() is not { Length: > 0 } value || string.IsNullOrWhiteSpace(value))
            {
                problems.Add(new ConfigurationProblem(field, "must not be empty."));
            }
            else
            {
                values[property.Name] = value.Trim();
            }
        }
        foreach (var name in Required)
        {
            if (!values.ContainsKey(name) && !secret.TryGetProperty(name, out _))
            {
                problems.Add(new ConfigurationProblem($"secret.{name}", "is required."));
            }
        }
        if (values.TryGetValue("region", out var region) && !RegionPattern().IsMatch(region))
        {
            problems.Add(new ConfigurationProblem("secret.region", "must be a region name such as eu-west-1 (lowercase letters, digits and '-')."));
        }
        Uri? endpoint = null;
        if (values.TryGetValue("endpoint", out var endpointText))
        {
            if (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
            {
                problems.Add(new ConfigurationProblem("secret.endpoint", "must be an absolute http or https URL such as https://s3.eu-west-1.amazonaws.com."));
            }
            else if (endpoint.UserInfo.Length > 0 || endpoint.Query.Length > 0 || endpoint.Fragment.Length > 0)
            {
                problems.Add(new ConfigurationProblem("secret.endpoint", "must not carry user info, a query or a fragment."));
            }
        }
        if (values.TryGetValue("verifyBucket", out var verifyBucket) && S3Configuration.CheckBucket(verifyBucket) is { } bucketProblem)
        {
            problems.Add(new ConfigurationProblem("secret.verifyBucket", bucketProblem));
        }
        if (problems.Count > 0)
        {
            return problems;
        }
        credentials = new S3Credentials(values["accessKeyId"], values["secretAccessKey"], region!,
            endpoint ?? new Uri($"https://s3.{region}.amazonaws.com"), endpoint is not null, values.GetValueOrDefault("verifyBucket"));
        return problems;
    }

    /// <summary>The stored secret text (compact JSON) of a run or a download; a bad one is a permanent error of the Sync.</summary>
    public static S3Credentials FromStored(string secret)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(secret);
        }
        catch (JsonException)
        {
            throw new PermanentSourceException("CREDENTIAL_REJECTED",
                "The credential's secret is not a JSON object {\"accessKeyId\",\"secretAccessKey\",\"region\",\"endpoint\"?}.");
        }
        using (document)
        {
            var problems = Parse(document.RootElement, out var credentials);
            return credentials ?? throw new PermanentSourceException("CREDENTIAL_REJECTED",
                $"The credential is not a valid s3 credential: {problems[0].Field} {problems[0].Description}");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex RegionPattern();
}
