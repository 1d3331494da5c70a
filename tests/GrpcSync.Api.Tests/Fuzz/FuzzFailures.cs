using System.Text;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>
/// Collects a storm's failures instead of stopping at the first, grouped by (check, status, input kind, route)
/// with a count and the first example, so one run shows every class of bad input that fails.
/// </summary>
public sealed class FuzzFailures
{
    private sealed class Group(string example)
    {
        public string Example { get; } = example;
        public int Count { get; set; }
    }

    private readonly Dictionary<(string Check, string Status, string Kind, string Route), Group> _groups = [];

    public int Count => _groups.Values.Sum(g => g.Count);

    public int GroupCount => _groups.Count;

    public void Add(string check, string status, string kind, string route, string example)
    {
        var key = (check, status, kind, route);
        if (!_groups.TryGetValue(key, out var group))
        {
            _groups[key] = group = new Group(example);
        }
        group.Count++;
    }

    /// <summary>Per check: a summary line, then its largest groups with their first example.</summary>
    public string Report(string title, int groupsPerCheck = 20)
    {
        var text = new StringBuilder();
        text.AppendLine($"{title}: {Count} failure(s) in {_groups.Count} group(s).");
        foreach (var check in _groups.GroupBy(g => g.Key.Check).OrderByDescending(c => c.Sum(g => g.Value.Count)))
        {
            var statuses = string.Join(", ", check.GroupBy(g => g.Key.Status).Select(s => $"{s.Key} ×{s.Sum(g => g.Value.Count)}"));
            // Each mutation of a case counts, so a failure caused by a case's second mutation shows under it too.
            var kinds = string.Join(", ", check.SelectMany(g => g.Key.Kind.Split('+').Distinct().Select(k => (Kind: k, g.Value.Count)))
                .GroupBy(k => k.Kind).OrderByDescending(k => k.Sum(x => x.Count)).Select(k => $"{k.Key} ×{k.Sum(x => x.Count)}"));
            text.AppendLine();
            text.AppendLine($"== {check.Key}: {check.Sum(g => g.Value.Count)} ({statuses})");
            text.AppendLine($"   kinds: {kinds}");
            var groups = check.OrderByDescending(g => g.Value.Count).ToArray();
            foreach (var (key, group) in groups.Take(groupsPerCheck))
            {
                text.AppendLine($"  [{key.Status} | {key.Kind} | {key.Route}] ×{group.Count}");
                text.AppendLine($"      {group.Example}");
            }
            if (groups.Length > groupsPerCheck)
            {
                text.AppendLine($"  … {groups.Length - groupsPerCheck} more group(s) of this check");
            }
        }
        return text.ToString();
    }
}
