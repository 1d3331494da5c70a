using System.Security.Cryptography;
using System.Text;

namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// Standard Webhooks signatures (symmetric, v1): HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed by the
/// base64-decoded part of a <c>whsec_</c> secret, written <c>v1,&lt;base64&gt;</c>. During a rotation's grace period
/// the header carries one entry per active secret, space-separated; receivers accept any match.
/// </summary>
public static class WebhookSigner
{
    public const string SecretPrefix = "whsec_";

    /// <summary>The HMAC key of a secret: the base64 after <c>whsec_</c> (a bare base64 secret is accepted too).</summary>
    public static byte[] KeyOf(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        return Convert.FromBase64String(encoded);
    }

    /// <summary>One <c>v1,…</c> entry: the signature of exactly these body bytes (sign what is sent, never re-serialised JSON).</summary>
    public static string Sign(string secret, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var prefix = Encoding.UTF8.GetBytes(FormattableString.Invariant($"{id}.{timestamp}."));
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(KeyOf(secret), content));
    }

    /// <summary>The <c>webhook-signature</c> header value: one entry per secret, in the order given, space-separated.</summary>
    public static string SignatureHeader(IReadOnlyList<string> secrets, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentOutOfRangeException.ThrowIfZero(secrets.Count);
        var entries = new string[secrets.Count];
        for (var i = 0; i < secrets.Count; i++)
        {
            entries[i] = Sign(secrets[i], id, timestamp, body);
        }
        return string.Join(' ', entries);
    }

    /// <summary>The secrets that sign at <paramref name="now"/>: the current one, and the previous one until its grace period ends.</summary>
    public static IReadOnlyList<string> ActiveSecrets(string current, string? previous, DateTimeOffset? previousExpiresAt, DateTimeOffset now) =>
        previous is not null && previousExpiresAt is { } expires && now < expires ? [current, previous] : [current];
}
