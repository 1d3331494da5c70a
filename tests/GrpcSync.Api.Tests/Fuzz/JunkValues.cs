using System.Text;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>Bad values both storms draw from: ids that are certainly not UUIDs, hostile strings, junk bytes.</summary>
public static class JunkValues
{
    private static readonly string[] Words =
    [
        "not-a-uuid", "0", "-1", "null", "undefined", "true", "NaN", "../../etc/passwd", "..", ".", "' OR '1'='1", "\"; DROP TABLE syncs; --",
        "%s%s%s%n", "${jndi:ldap://x}", "<script>alert(1)</script>", "\\", "*", "?", "#", "[]", "{}", "a b", "\t", "syncs", "me",
    ];

    private static readonly string[] Unicode =
    [
        "é", "\u00e9\u0301", "\u202Eevil", "\u200B", "\uFEFF", "💥", "𝕏𝕐", "日本語", "Ω≈ç√", "\u0085", "\u2028", "\uD7FF", "ﷺ", "ǅ", "İ",
    ];

    /// <summary>
    /// A string no UUID parser accepts (not even braces or the 32-digit form), so a request carrying it in an
    /// id must be rejected whoever sends it. Never derived from a real id: a parser that is too lenient must
    /// not turn it into a victim's.
    /// </summary>
    public static string NonUuid(Random random)
    {
        var uuid = Uuid(random).ToString();
        var value = random.Next(9) switch
        {
            0 => Pick(random, Words),
            1 => Pick(random, Unicode),
            2 => uuid[..^1] + Pick(random, ["g", "z", "-", " ", "é", "\u0007"]), // one bad character at the end
            3 => uuid + Pick(random, ["0", "x", "/", " ", "\u00a0"]),               // one character too many
            4 => uuid[..^1],                                                        // one too few
            5 => new string(Pick(random, ['a', 'f', '0', 'é', '%']), random.Next(1000, 4000)),
            6 => uuid.Replace('-', Pick(random, ['_', '.', ':', '+'])),
            7 => "",
            _ => string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (char)random.Next(0x20, 0x3000))),
        };
        return Guid.TryParse(value, out _) ? value + "x" : value;
    }

    /// <summary>A UUID drawn from the case's generator, so a replay sends the same one.</summary>
    public static Guid Uuid(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    /// <summary>Path-segment junk that is already percent-encoded (sent verbatim): invalid escapes, encoded slashes, overlong UTF-8.</summary>
    public static string PercentJunk(Random random) => Pick(random,
    [
        "%ZZ", "%", "%2", "%%", "%FF%FE", "%C0%AF", "%E0%80%AF", "%ED%A0%80", "%F4%90%80%80", "%2F", "%2F..%2F", "%5C", "%25", "%u0041",
        "%E2%80%AE", "%F0%9F%92%A5", "%20", "%09", "%0D%0A", "%7B%7D", "%3B", "%3F", "%23",
    ]);

    /// <summary>A text value for a string field: empty, whitespace, control characters, unicode, very long, or a word.</summary>
    public static string HostileText(Random random) => random.Next(7) switch
    {
        0 => "",
        1 => Pick(random, [" ", "\t", "\r\n", "\u0000", "\u0007", "\u001b[31m"]),
        2 => Pick(random, Unicode),
        3 => new string('a', random.Next(201, 5000)),
        4 => Pick(random, Words),
        5 => string.Concat(Enumerable.Range(0, random.Next(1, 64)).Select(_ => (char)random.Next(0x20, 0xD7FF))),
        _ => "Google Drive",
    };

    /// <summary>Random bytes (at least one).</summary>
    public static byte[] Bytes(Random random, int maxLength)
    {
        var bytes = new byte[random.Next(1, Math.Max(2, maxLength))];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Bytes that are not well-formed UTF-8 (a lone continuation, an overlong form, an encoded surrogate, a truncated sequence).</summary>
    public static byte[] InvalidUtf8(Random random) => Pick<byte[]>(random,
    [
        [0xFF], [0xFE, 0xFF], [0x80], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0xE2, 0x82],
    ]);

    public static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A short, printable, escaped prefix of a body for failure messages.</summary>
    public static string Preview(ReadOnlySpan<byte> bytes, int max = 160)
    {
        var text = new StringBuilder();
        var shown = bytes[..Math.Min(bytes.Length, max)];
        foreach (var b in shown)
        {
            text.Append(b is >= 0x20 and < 0x7F and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}");
        }
        if (bytes.Length > max)
        {
            text.Append($"… ({bytes.Length} bytes)");
        }
        return text.ToString();
    }
}
