namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// The Standard Webhooks form of a signing secret: <c>whsec_</c> + base64 of the key bytes. Endpoints get
/// <see cref="KeyBytes"/> random bytes (the spec allows 24 to 64); receivers' libraries (svix) decode the part
/// after the prefix and use those bytes as the HMAC key.
/// </summary>
public static class WebhookSecret
{
    public const string Prefix = "whsec_";

    /// <summary>
    /// The ASP.NET Core Data Protection purpose secrets are protected under at rest (the API protects, delivery
    /// unprotects); changing it makes every stored secret unreadable.
    /// </summary>
    public const string ProtectionPurpose = "GrpcSync.Webhooks.Secret.v1";

    /// <summary>The length of the keys GrpcSync makes.</summary>
    public const int KeyBytes = 32;

    public static string Format(ReadOnlySpan<byte> key) => Prefix + Convert.ToBase64String(key);

    /// <summary>The key bytes of a <c>whsec_…</c> secret; false when it is not one.</summary>
    public static bool TryDecode(string secret, out byte[] key)
    {
        key = [];
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        try
        {
            key = Convert.FromBase64String(secret[Prefix.Length..]);
            return key.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
