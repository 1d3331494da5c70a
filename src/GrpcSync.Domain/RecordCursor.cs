using System.Globalization;
using System.Text;

namespace GrpcSync.Domain;

/// <summary>
/// The opaque cursor of a position in one life of a Sync's record changes: base64 of
/// <c>cursor:&lt;incarnation&gt;:&lt;sequence&gt;</c> (incarnation 7, sequence 121 → <c>Y3Vyc29yOjc6MTIx</c>).
/// Used for <see cref="Sync.LatestCursor"/> and by the API's record paging, so a cursor from either
/// place means "after this change". The incarnation (<see cref="Sync.Incarnation"/>) lets the API
/// refuse a cursor of an earlier life of the Sync, whose sequence restarted at 0, instead of skipping
/// every record up to the old position.
/// </summary>
public static class RecordCursor
{
    private const string Prefix = "cursor:";

    /// <summary>Long enough for any canonical cursor ("cursor:" + 19 digits + ":" + 19 digits → 64 base64 characters).</summary>
    private const int MaxLength = 64;

    /// <summary>The cursor after change <paramref name="sequence"/> of the Sync's life <paramref name="incarnation"/> (both 0 or more).</summary>
    public static string Encode(long incarnation, long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(incarnation);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{Prefix}{incarnation}:{sequence}")));
    }

    /// <summary>
    /// The incarnation and sequence of a cursor that <see cref="Encode"/> made. False for anything else —
    /// not base64, another prefix, a missing or extra part, a sign, leading zeros, whitespace, or a value
    /// out of range — so every position has exactly one cursor.
    /// </summary>
    public static bool TryDecode(string? cursor, out long incarnation, out long sequence)
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
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = text[Prefix.Length..].Split(':');
        if (parts.Length != 2
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var life)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            || Encode(life, position) != cursor) // canonical form only (no leading zeros, no non-canonical padding bits)
        {
            return false;
        }
        incarnation = life;
        sequence = position;
        return true;
    }
}
