using System.Buffers.Text;
using System.Globalization;
using System.Text;
using GrpcSync.Storage;

namespace GrpcSync.Server.Api;

/// <summary>
/// Opaque page tokens for ListSyncRuns: base64url (no padding) of <c>incarnation:createdAtMs:runId</c>
/// (keyset pagination). The incarnation (<see cref="Domain.Sync.Incarnation"/>) lets the API refuse a token
/// of an earlier life of the Sync, or of another Sync, instead of silently paging from a foreign position.
/// </summary>
public static class RunPageToken
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    /// <summary>Long enough for any canonical token (19 + 1 + 19 + 1 + 32 bytes → 96 base64url characters).</summary>
    private const int MaxLength = 96;

    public static string Encode(long incarnation, RunPosition position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(incarnation);
        var createdAtMs = position.CreatedAt.ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(createdAtMs);
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{incarnation}:{createdAtMs}:{position.Id:N}")));
    }

    /// <summary>
    /// The incarnation and position of a token that <see cref="Encode"/> made. False for anything else
    /// (not base64url, padding, wrong parts, signs, leading zeros, upper-case hex), so every position of
    /// every incarnation has exactly one token.
    /// </summary>
    public static bool TryDecode(string? token, out long incarnation, out RunPosition position)
    {
        incarnation = 0;
        position = default;
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[MaxLength];
        if (Base64Url.DecodeFromChars(token, bytes, out _, out var length) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }
        var parts = Encoding.ASCII.GetString(bytes[..length]).Split(':');
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var life)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            || !Guid.TryParseExact(parts[2], "N", out var id))
        {
            return false;
        }
        var decoded = new RunPosition(DateTimeOffset.FromUnixTimeMilliseconds(ms), id);
        if (Encode(life, decoded) != token) // canonical form only
        {
            return false;
        }
        incarnation = life;
        position = decoded;
        return true;
    }
}
