using System.Globalization;

namespace GrpcSync.Connectors;

/// <summary>
/// One byte range a caller asks for, as HTTP writes it (RFC 9110 §14.1.2, one <c>range-spec</c>):
/// <c>bytes=first-last</c> (both inclusive), <c>bytes=first-</c> (to the end) or <c>bytes=-n</c> (the last n bytes).
/// The source resolves it against the representation's length (<see cref="Resolve"/>).
/// </summary>
public readonly record struct ByteRange
{
    private ByteRange(long? first, long? last, long suffixLength)
    {
        First = first;
        Last = last;
        SuffixLength = suffixLength;
    }

    /// <summary>The first byte asked for; null for a suffix range.</summary>
    public long? First { get; }

    /// <summary>The last byte asked for (inclusive); null for "to the end" and for a suffix range.</summary>
    public long? Last { get; }

    /// <summary>How many final bytes a suffix range asks for; 0 otherwise.</summary>
    public long SuffixLength { get; }

    public bool IsSuffix => First is null;

    public static ByteRange Between(long first, long last) =>
        first >= 0 && last >= first ? new(first, last, 0) : throw new ArgumentOutOfRangeException(nameof(last));

    public static ByteRange StartingAt(long first) =>
        first >= 0 ? new(first, null, 0) : throw new ArgumentOutOfRangeException(nameof(first));

    public static ByteRange LastBytes(long count) =>
        count > 0 ? new(null, null, count) : throw new ArgumentOutOfRangeException(nameof(count));

    /// <summary>
    /// The inclusive span this range selects in a representation of <paramref name="length"/> bytes, or null when
    /// it selects nothing (unsatisfiable: the first byte lies past the end, or the representation is empty).
    /// A last byte past the end is cut to the end, as HTTP says.
    /// </summary>
    public (long First, long Last)? Resolve(long length)
    {
        if (length <= 0)
        {
            return null;
        }
        if (First is not { } first)
        {
            return (Math.Max(0, length - SuffixLength), length - 1);
        }
        if (first >= length)
        {
            return null;
        }
        return (first, Last is { } last ? Math.Min(last, length - 1) : length - 1);
    }

    /// <summary>The HTTP header form, e.g. <c>bytes=0-99</c>, <c>bytes=100-</c>, <c>bytes=-500</c>.</summary>
    public override string ToString() => First is { } first
        ? string.Create(CultureInfo.InvariantCulture, $"bytes={first}-{Last}")
        : string.Create(CultureInfo.InvariantCulture, $"bytes=-{SuffixLength}");

    /// <summary>
    /// Reads a <c>Range</c> value. Returns false, with the reason, for anything but one well-formed byte range
    /// (another unit, several ranges, last before first, numbers that do not fit a long, a zero-length suffix).
    /// </summary>
    public static bool TryParse(string? text, out ByteRange range, out string problem)
    {
        range = default;
        problem = "";
        var value = text?.Trim() ?? "";
        const string unit = "bytes=";
        if (!value.StartsWith(unit, StringComparison.OrdinalIgnoreCase))
        {
            problem = "A range is written bytes=first-last, bytes=first- or bytes=-count.";
            return false;
        }
        var spec = value[unit.Length..].Trim();
        if (spec.Contains(','))
        {
            problem = "Only one byte range can be asked for at a time.";
            return false;
        }
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            problem = "A range is written bytes=first-last, bytes=first- or bytes=-count.";
            return false;
        }
        var firstText = spec[..dash].Trim();
        var lastText = spec[(dash + 1)..].Trim();
        if (firstText.Length == 0)
        {
            if (!TryNumber(lastText, out var count) || count == 0)
            {
                problem = "A suffix range is bytes=-count with a count of at least 1.";
                return false;
            }
            range = LastBytes(count);
            return true;
        }
        if (!TryNumber(firstText, out var first))
        {
            problem = "A range's first byte is a non-negative whole number.";
            return false;
        }
        if (lastText.Length == 0)
        {
            range = StartingAt(first);
            return true;
        }
        if (!TryNumber(lastText, out var last) || last < first)
        {
            problem = "A range's last byte is a whole number no smaller than its first.";
            return false;
        }
        range = Between(first, last);
        return true;
    }

    private static bool TryNumber(string text, out long value)
    {
        value = 0;
        return text.Length is > 0 and <= 19 && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
