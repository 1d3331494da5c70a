using System.Buffers.Text;
using System.Globalization;
using System.Text;
using GrpcSync.Storage;

namespace GrpcSync.Server.Api;

/// <summary>
/// Opaque page tokens for ListWebhookDeliveries: base64url (no padding) of <c>d1:webhookId:createdAtMs:deliveryId</c>
/// (keyset pagination, newest first). The endpoint id lets the API refuse another endpoint's token instead of
/// paging from a foreign position. Only the canonical form decodes.
/// </summary>
public static class DeliveryPageToken
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    private const string Prefix = "d1";

    /// <summary>Long enough for any canonical token (2 + 1 + 32 + 1 + 19 + 1 + 32 bytes → 118 base64url characters).</summary>
    private const int MaxLength = 120;

    public static string Encode(Guid webhookId, DeliveryPosition position)
    {
        ArgumentNullException.ThrowIfNull(position);
        var createdAtMs = position.CreatedAt.ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(createdAtMs);
        return Base64Url.EncodeToString(Encoding.ASCII.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{Prefix}:{webhookId:N}:{createdAtMs}:{position.Id:N}")));
    }

    /// <summary>The position of a token that <see cref="Encode"/> made for <paramref name="webhookId"/>; false for anything else.</summary>
    public static bool TryDecode(string? token, Guid webhookId, out DeliveryPosition? position)
    {
        position = null;
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
        if (parts.Length != 4 || parts[0] != Prefix
            || !Guid.TryParseExact(parts[1], "N", out var endpoint) || endpoint != webhookId
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            || !Guid.TryParseExact(parts[3], "N", out var id))
        {
            return false;
        }
        var decoded = new DeliveryPosition(DateTimeOffset.FromUnixTimeMilliseconds(ms), id);
        if (Encode(webhookId, decoded) != token) // canonical form only
        {
            return false;
        }
        position = decoded;
        return true;
    }
}
