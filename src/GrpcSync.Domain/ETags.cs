using System.Security.Cryptography;
using System.Text;

namespace GrpcSync.Domain;

/// <summary>Builds and compares the opaque etags of Syncs (AIP-154).</summary>
public static class ETags
{
    public static string For(Guid id, DateTimeOffset createdAt, long version)
    {
        var input = Encoding.UTF8.GetBytes($"{id:N}:{createdAt.ToUnixTimeMilliseconds()}:{version}");
        var hash = SHA256.HashData(input);
        return Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }

    /// <summary>
    /// Normalises what a caller sent (body field or an <c>If-Match</c> value such as <c>"abc"</c>
    /// or <c>W/"abc"</c>) to the bare etag.
    /// </summary>
    public static string Normalize(string value)
    {
        var v = value.Trim();
        if (v.StartsWith("W/", StringComparison.Ordinal))
        {
            v = v[2..];
        }
        return v.Length >= 2 && v[0] == '"' && v[^1] == '"' ? v[1..^1] : v;
    }
}
