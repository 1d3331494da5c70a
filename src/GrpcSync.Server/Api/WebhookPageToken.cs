namespace GrpcSync.Server.Api;

/// <summary>
/// Opaque page tokens for ListWebhooks: base64url (no padding, <see cref="KeysetPageToken.Wrap"/>) of <c>w1:</c> +
/// the last endpoint id of the page (keyset pagination by id; ids are UUIDv7, so that is creation order). Only the
/// canonical form decodes.
/// </summary>
public static class WebhookPageToken
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    private const string Prefix = "w1:";
    private const int MaxLength = 64;

    public static string Encode(Guid lastId) => KeysetPageToken.Wrap(Prefix + lastId.ToString("N"));

    public static bool TryDecode(string? token, out Guid lastId)
    {
        lastId = Guid.Empty;
        return KeysetPageToken.TryUnwrap(token, MaxLength, out var text)
            && text.StartsWith(Prefix, StringComparison.Ordinal)
            && Guid.TryParseExact(text[Prefix.Length..], "N", out lastId)
            && Encode(lastId) == token; // canonical form only (no upper-case hex, no padding)
    }
}
