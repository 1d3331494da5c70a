using System.Buffers.Text;
using System.Text;

namespace GrpcSync.Server.Api;

/// <summary>
/// Opaque page tokens for ListWebhooks: base64url (no padding) of <c>w1:</c> + the last endpoint id of the page
/// (keyset pagination by id; ids are UUIDv7, so that is creation order). Only the canonical form decodes.
/// </summary>
public static class WebhookPageToken
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    private const string Prefix = "w1:";
    private const int MaxLength = 64;

    public static string Encode(Guid lastId) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(Prefix + lastId.ToString("N")));

    public static bool TryDecode(string? token, out Guid lastId)
    {
        lastId = Guid.Empty;
        if (string.IsNullOrEmpty(token) || token.Length > MaxLength)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[MaxLength];
        if (Base64Url.DecodeFromChars(token, bytes, out _, out var length) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }
        var text = Encoding.ASCII.GetString(bytes[..length]);
        return text.StartsWith(Prefix, StringComparison.Ordinal)
            && Guid.TryParseExact(text[Prefix.Length..], "N", out lastId)
            && Encode(lastId) == token; // canonical form only (no upper-case hex, no padding)
    }
}
