using System.Globalization;
using System.Text;

namespace GrpcSync.Domain;

/// <summary>
/// The one codec behind the API's opaque cursors of a position in one life of a Sync: base64 of
/// <c>&lt;prefix&gt;&lt;incarnation&gt;:&lt;sequence&gt;</c>. Canonical only — not base64, another prefix, a missing
/// or extra part, a sign, leading zeros, whitespace or a value out of range is refused — so every position
/// has exactly one cursor.
/// </summary>
internal static class LifeCursor
{
    /// <summary>Long enough for any canonical cursor (a 7-character prefix + 19 digits + ":" + 19 digits → 64 base64 characters).</summary>
    private const int MaxLength = 64;

    public static string Encode(string prefix, long incarnation, long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(incarnation);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{prefix}{incarnation}:{sequence}")));
    }

    public static bool TryDecode(string prefix, string? cursor, out long incarnation, out long sequence)
    {
        incarnation = 0;
        sequence = 0;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > MaxLength)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[MaxLength];
        if (!Convert.TryFromBase64String(cursor, bytes, out var length))
        {
            return false;
        }
        var text = Encoding.ASCII.GetString(bytes[..length]);
        if (!text.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = text[prefix.Length..].Split(':');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var life)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            || Encode(prefix, life, position) != cursor) // canonical form only (no leading zeros, no non-canonical padding bits)
        {
            return false;
        }
        incarnation = life;
        sequence = position;
        return true;
    }
}
