namespace GrpcSync.Domain;

/// <summary>
/// The opaque cursor after one event of a Sync's life: base64 of <c>events:&lt;incarnation&gt;:&lt;sequence&gt;</c>.
/// Canonical like <see cref="RecordCursor"/> (one cursor per position), so anything else, or a cursor of an
/// earlier life of the Sync, is refused rather than read as some other position.
/// </summary>
public static class EventCursor
{
    private const string Prefix = "events:";

    public static string Encode(long incarnation, long sequence) => LifeCursor.Encode(Prefix, incarnation, sequence);

    /// <summary>The incarnation and sequence of a cursor <see cref="Encode"/> made; false for anything else.</summary>
    public static bool TryDecode(string? cursor, out long incarnation, out long sequence) =>
        LifeCursor.TryDecode(Prefix, cursor, out incarnation, out sequence);
}
