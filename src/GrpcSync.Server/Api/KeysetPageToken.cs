using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace GrpcSync.Server.Api;

/// <summary>
/// The form the listings' opaque page tokens share: base64url (no padding) of ASCII text, for keyset pagination
/// usually <c>scope:createdAtMs:id</c> (the scope names whose listing the token pages, so the API can refuse a
/// foreign one). Each token type says what its scope is and checks it; only the canonical form decodes, so every
/// position has exactly one token.
/// </summary>
internal static class KeysetPageToken
{
    /// <summary><c>scope:createdAtMs:id</c> (id as 32 lower-case hex digits), wrapped.</summary>
    public static string Encode(string scope, DateTimeOffset createdAt, Guid id)
    {
        var createdAtMs = createdAt.ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(createdAtMs);
        return Wrap(string.Create(CultureInfo.InvariantCulture, $"{scope}:{createdAtMs}:{id:N}"));
    }

    /// <summary>
    /// Splits a token <see cref="Encode"/> made into its scope (the text before the last two parts, which the
    /// caller checks) and its position. False when it is not canonical base64url, the position is not canonical
    /// digits and hex, or re-encoding it would not give the same token.
    /// </summary>
    public static bool TryDecode(string? token, int maxLength, out string scope, out DateTimeOffset createdAt, out Guid id)
    {
        scope = "";
        createdAt = default;
        id = Guid.Empty;
        if (!TryUnwrap(token, maxLength, out var text))
        {
            return false;
        }
        var idAt = text.LastIndexOf(':');
        var msAt = idAt > 0 ? text.LastIndexOf(':', idAt - 1) : -1;
        if (msAt < 0
            || !long.TryParse(text.AsSpan(msAt + 1, idAt - msAt - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            || !Guid.TryParseExact(text.AsSpan(idAt + 1), "N", out var decodedId))
        {
            return false;
        }
        var decodedScope = text[..msAt];
        var decodedAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (Encode(decodedScope, decodedAt, decodedId) != token) // canonical form only (no leading zeros, upper-case hex)
        {
            return false;
        }
        (scope, createdAt, id) = (decodedScope, decodedAt, decodedId);
        return true;
    }

    /// <summary>Base64url (no padding) of the ASCII text.</summary>
    public static string Wrap(string text) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(text));

    /// <summary>The text of a token of at most <paramref name="maxLength"/> characters; false when it is not base64url.</summary>
    public static bool TryUnwrap(string? token, int maxLength, out string text)
    {
        text = "";
        if (string.IsNullOrEmpty(token) || token.Length > maxLength)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[maxLength];
        if (Base64Url.DecodeFromChars(token, bytes, out _, out var length) != OperationStatus.Done)
        {
            return false;
        }
        text = Encoding.ASCII.GetString(bytes[..length]);
        return true;
    }
}
