using System.Text.Json;
using System.Text.RegularExpressions;

namespace GrpcSync.Connectors.S3;

/// <summary>A Sync's configuration: <c>{"bucket":"…","prefix":"reports/2026/"?}</c>.</summary>
internal sealed partial record S3Configuration(string Bucket, string Prefix)
{
    private static readonly string[] Known = ["bucket", "prefix"];

    /// <summary>Most characters of a prefix (S3 keys have at most 1024 bytes).</summary>
    private const int MaxPrefixLength = 1024;

    /// <summary>The problems (field paths <c>configuration.*</c>); <paramref name="configuration"/> set when there are none.</summary>
    public static List<ConfigurationProblem> Parse(JsonElement json, out S3Configuration? configuration)
    {
        configuration = null;
        var problems = new List<ConfigurationProblem>();
        if (json.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new ConfigurationProblem("configuration", "must be a JSON object with a \"bucket\" (e.g. {\"bucket\":\"reports\",\"prefix\":\"2026/\"})."));
            return problems;
        }
        string? bucket = null;
        var prefix = "";
        foreach (var property in json.EnumerateObject())
        {
            var field = $"configuration.{property.Name}";
            if (!Known.Contains(property.Name, StringComparer.Ordinal))
            {
                problems.Add(new ConfigurationProblem(field, $"is not a known setting. Allowed keys: {string.Join(", ", Known)}."));
                continue;
            }
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                problems.Add(new ConfigurationProblem(field, "must be a string."));
                continue;
            }
            var value = property.Value.GetString()!;
            if (property.Name == "bucket")
            {
                if (CheckBucket(value) is { } problem)
                {
                    problems.Add(new ConfigurationProblem(field, problem));
                }
                else
                {
                    bucket = value;
                }
            }
            else if (CheckPrefix(value) is { } problem)
            {
                problems.Add(new ConfigurationProblem(field, problem));
            }
            else
            {
                prefix = value;
            }
        }
        if (bucket is null && !json.TryGetProperty("bucket", out _))
        {
            problems.Add(new ConfigurationProblem("configuration.bucket", "is required: the name of the bucket to sync."));
        }
        if (problems.Count == 0)
        {
            configuration = new S3Configuration(bucket!, prefix);
        }
        return problems;
    }

    /// <summary>S3's bucket naming rules (3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit).</summary>
    public static string? CheckBucket(string value) => BucketPattern().IsMatch(value) && !value.Contains("..", StringComparison.Ordinal)
        ? null
        : $"must be a bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit; got '{Clip(value)}'.";

    private static string? CheckPrefix(string value)
    {
        if (value.Length > MaxPrefixLength)
        {
            return $"must be at most {MaxPrefixLength} characters.";
        }
        if (value.StartsWith('/'))
        {
            return "must not start with '/': S3 keys have no leading slash (e.g. \"reports/2026/\").";
        }
        return value.Any(char.IsControl) ? "must not contain control characters." : null;
    }

    /// <summary>The part of the prefix up to its last '/': the folder the Sync's tree hangs from ("" = the bucket).</summary>
    public string RootFolder => Prefix[..(Prefix.LastIndexOf('/') + 1)];

    private static string Clip(string value) => value.Length <= 64 ? value : value[..64] + "…";

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketPattern();
}
