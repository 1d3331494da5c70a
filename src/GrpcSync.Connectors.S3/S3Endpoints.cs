using System.Net;

namespace GrpcSync.Connectors.S3;

/// <summary>
/// The operator's endpoint allow-list (SSRF guard): which endpoint URLs a credential may name, and whether the
/// endpoint may then resolve to private addresses. Entries are URL prefixes (<c>scheme://host[:port][/path]</c>:
/// same scheme, host and port, path prefix by segments) or bare hosts (HTTPS, any port). A <c>*</c> label in a
/// host matches exactly one DNS label and never an IP literal. Hosts compare case-insensitively.
/// </summary>
public sealed class S3Endpoints
{
    /// <summary>One allow-list entry; <see cref="HasWildcard"/> entries (and the defaults) require public addresses.</summary>
    private sealed record Entry(string? Scheme, string Host, int? Port, string Path, bool HasWildcard);

    private readonly Entry[] _entries;

    public S3Endpoints(IEnumerable<string> allowed)
    {
        var list = allowed.Where(e => !string.IsNullOrWhiteSpace(e)).ToList();
        // AWS's own endpoints are public: the defaults never let an endpoint resolve to a private address.
        _entries = list.Count == 0
            ? [.. S3ConnectorOptions.DefaultAllowedEndpoints.Select(Parse).OfType<Entry>().Select(e => e with { HasWildcard = true })]
            : [.. list.Select(Parse).OfType<Entry>()];
    }

    /// <summary>What the allow-list decided about one endpoint.</summary>
    public sealed record Decision(bool Allowed, bool PrivateAddressesAllowed, string Rule);

    /// <summary>Checks an absolute endpoint URL (already known to be http or https, without user info, query or fragment).</summary>
    public Decision Check(Uri endpoint)
    {
        Entry? best = null;
        foreach (var entry in _entries.Where(e => Matches(e, endpoint)))
        {
            // An exact entry wins over a wildcard one: it is what lets an endpoint be private.
            if (best is null || (best.HasWildcard && !entry.HasWildcard))
            {
                best = entry;
            }
        }
        return best is null
            ? new Decision(false, false, "the endpoint is not in GrpcSync:Connectors:S3:AllowedEndpoints")
            : new Decision(true, !best.HasWildcard, "");
    }

    private static Entry? Parse(string raw)
    {
        var text = raw.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            return new Entry(null, text.TrimEnd('/').ToLowerInvariant(), null, "/", text.Contains('*'));
        }
        // '*' is not a valid host character for Uri: parse with a placeholder label.
        const string placeholder = "wildcard-label-0";
        if (!Uri.TryCreate(text.Replace("*", placeholder, StringComparison.Ordinal), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https"))
        {
            return null; // unusable entries allow nothing
        }
        var host = uri.IdnHost.Replace(placeholder, "*", StringComparison.Ordinal).ToLowerInvariant();
        var path = uri.AbsolutePath.EndsWith('/') ? uri.AbsolutePath : uri.AbsolutePath + "/";
        return new Entry(uri.Scheme, host, uri.Port, path, host.Contains('*'));
    }

    private static bool Matches(Entry entry, Uri endpoint)
    {
        if (entry.Scheme is null ? endpoint.Scheme != "https" : endpoint.Scheme != entry.Scheme)
        {
            return false;
        }
        if (entry.Port is { } port && endpoint.Port != port)
        {
            return false;
        }
        var path = endpoint.AbsolutePath.EndsWith('/') ? endpoint.AbsolutePath : endpoint.AbsolutePath + "/";
        return path.StartsWith(entry.Path, StringComparison.Ordinal) && HostMatches(entry.Host, endpoint);
    }

    private static bool HostMatches(string pattern, Uri endpoint)
    {
        var host = endpoint.IdnHost.Trim('[', ']').ToLowerInvariant();
        var patternHost = pattern.Trim('[', ']');
        if (!pattern.Contains('*'))
        {
            return host == patternHost;
        }
        if (IPAddress.TryParse(host, out _))
        {
            return false;
        }
        var labels = host.Split('.');
        var patternLabels = patternHost.Split('.');
        return labels.Length == patternLabels.Length
            && labels.Zip(patternLabels).All(p => p.Second == "*" ? p.First.Length > 0 : p.First == p.Second);
    }
}
