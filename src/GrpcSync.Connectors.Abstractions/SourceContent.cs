namespace GrpcSync.Connectors;

/// <summary>
/// Content of a file record, streamed: the caller reads <see cref="Content"/> as it arrives and disposes it.
/// </summary>
public sealed record SourceContent(string ContentType, Stream Content)
{
    /// <summary>How many bytes <see cref="Content"/> yields, when the source said; null when it did not.</summary>
    public long? Length { get; init; }

    /// <summary>Set when the source served a part of the content (a ranged download): which bytes, of how many.</summary>
    public ServedRange? Range { get; init; }
}

/// <summary>The bytes a ranged download served: <paramref name="First"/> to <paramref name="Last"/> inclusive, of <paramref name="CompleteLength"/> (null: unknown).</summary>
public readonly record struct ServedRange(long First, long Last, long? CompleteLength)
{
    /// <summary>The HTTP <c>Content-Range</c> value, e.g. <c>bytes 0-99/1000</c>.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"bytes {First}-{Last}/{(CompleteLength is { } total ? total.ToString(System.Globalization.CultureInfo.InvariantCulture) : "*")}");
}
