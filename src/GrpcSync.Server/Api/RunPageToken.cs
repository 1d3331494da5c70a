using System.Globalization;
using GrpcSync.Storage;

namespace GrpcSync.Server.Api;

/// <summary>
/// Opaque page tokens for ListSyncRuns: base64url (no padding) of <c>incarnation:createdAtMs:runId</c>
/// (keyset pagination, <see cref="KeysetPageToken"/>). The incarnation (<see cref="Domain.Sync.Incarnation"/>) lets
/// the API refuse a token of an earlier life of the Sync, or of another Sync, instead of silently paging from a
/// foreign position.
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
        return KeysetPageToken.Encode(Scope(incarnation), position.CreatedAt, position.Id);
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
        if (!KeysetPageToken.TryDecode(token, MaxLength, out var scope, out var createdAt, out var id)
            || !long.TryParse(scope, NumberStyles.None, CultureInfo.InvariantCulture, out var life)
            || scope != Scope(life)) // one part, no leading zeros
        {
            return false;
        }
        incarnation = life;
        position = new RunPosition(createdAt, id);
        return true;
    }

    private static string Scope(long incarnation) => incarnation.ToString(CultureInfo.InvariantCulture);
}
