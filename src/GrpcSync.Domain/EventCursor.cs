using System.Globalization;
using System.Text;

namespace GrpcSync.Domain;

/// <summary>
/// The opaque cursor after one event of a Sync's life: base64 of <c>events:&lt;incarnation&gt;:&lt;sequence&gt;</c>.
/// Canonical like <see cref="RecordCursor"/> (one cursor per position), so anything else, or a cursor of an
/// earlier life of the Sync, is refused rather than read as some other position.
/// </summary>
public static class EventCursor
{
    private const string Prefix = "events:";

    /// <summary>"events:" + 19 digits + ":" + 19 digits → at most 64 base64 characters.</summary>
    private const int MaxLength = 64;

    public static string Encode(long incarnation, long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(incarnation);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{Prefix}{incarnation}:{sequence}")));
    }

    /// <summary>The incarnation and sequence of a cursor <see cref="Encode"/> made; false for anything else.</summary>
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
            || Encode(life, position) != cursor)
        {
            return false;
        }
        incarnation = life;
        sequence = position;
        return true;
    }
}
