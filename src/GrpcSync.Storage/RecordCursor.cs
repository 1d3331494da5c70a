using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace GrpcSync.Storage;

/// <summary>
/// The opaque cursor of a position in a Sync's record changes: base64 of <c>cursor:&lt;sequence&gt;</c>
/// (sequence 121 → <c>Y3Vyc29yOjEyMQ==</c>). Used for <see cref="Domain.Sync.LatestCursor"/> and by the
/// API's record paging, so a cursor from either place means "after this change".
/// </summary>
public static class RecordCursor
{
    private const string Prefix = "cursor:";

    /// <summary>Long enough for any canonical cursor ("cursor:" + 19 digits → 36 base64 characters).</summary>
    private const int MaxLength = 40;

    /// <summary>The cursor of <paramref name="sequence"/> (0 or more).</summary>
    public static string Encode(long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(Prefix + sequence.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// The sequence of a cursor that <see cref="Encode"/> made. False for anything else — not base64,
    /// another prefix, a sign, leading zeros, whitespace, or a value out of range — so every sequence
    /// has exactly one cursor.
    /// </summary>
    public static bool TryDecode([NotNullWhen(true)] string? cursor, out long sequence)
    {
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
        if (!text.StartsWith(Prefix, StringComparison.Ordinal)
            || !long.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            || Encode(value) != cursor) // canonical form only (no leading zeros, no non-canonical padding bits)
        {
            return false;
        }
        sequence = value;
        return true;
    }
}
