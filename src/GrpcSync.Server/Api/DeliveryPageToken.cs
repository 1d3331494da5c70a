using GrpcSync.Storage;

namespace GrpcSync.Server.Api;

/// <summary>
/// Opaque page tokens for ListWebhookDeliveries: base64url (no padding) of <c>d1:webhookId:createdAtMs:deliveryId</c>
/// (keyset pagination, newest first, <see cref="KeysetPageToken"/>). The endpoint id lets the API refuse another
/// endpoint's token instead of paging from a foreign position. Only the canonical form decodes.
/// </summary>
public static class DeliveryPageToken
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    /// <summary>Long enough for any canonical token (2 + 1 + 32 + 1 + 19 + 1 + 32 bytes → 118 base64url characters).</summary>
    private const int MaxLength = 120;

    public static string Encode(Guid webhookId, DeliveryPosition position)
    {
        ArgumentNullException.ThrowIfNull(position);
        return KeysetPageToken.Encode(Scope(webhookId), position.CreatedAt, position.Id);
    }

    /// <summary>The position of a token that <see cref="Encode"/> made for <paramref name="webhookId"/>; false for anything else.</summary>
    public static bool TryDecode(string? token, Guid webhookId, out DeliveryPosition? position)
    {
        position = null;
        if (!KeysetPageToken.TryDecode(token, MaxLength, out var scope, out var createdAt, out var id)
            || scope != Scope(webhookId)) // this endpoint's, in the canonical form
        {
            return false;
        }
        position = new DeliveryPosition(createdAt, id);
        return true;
    }

    private static string Scope(Guid webhookId) => $"d1:{webhookId:N}";
}
