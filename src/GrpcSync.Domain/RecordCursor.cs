namespace GrpcSync.Domain;

/// <summary>
/// The opaque cursor of a position in one life of a Sync's record changes: base64 of
/// <c>cursor:&lt;incarnation&gt;:&lt;sequence&gt;</c> (incarnation 7, sequence 121 → <c>Y3Vyc29yOjc6MTIx</c>).
/// Used for <see cref="Sync.LatestCursor"/> and by the API's record paging, so a cursor from either
/// place means "after this change". The incarnation (<see cref="Sync.Incarnation"/>) lets the API
/// refuse a cursor of an earlier life of the Sync, whose sequence restarted at 0, instead of skipping
/// every record up to the old position.
/// </summary>
public static class RecordCursor
{
    private const string Prefix = "cursor:";

    /// <summary>The cursor after change <paramref name="sequence"/> of the Sync's life <paramref name="incarnation"/> (both 0 or more).</summary>
    public static string Encode(long incarnation, long sequence) => LifeCursor.Encode(Prefix, incarnation, sequence);

    /// <summary>The incarnation and sequence of a cursor that <see cref="Encode"/> made; false for anything else (see <see cref="LifeCursor"/>).</summary>
    public static bool TryDecode(string? cursor, out long incarnation, out long sequence) =>
        LifeCursor.TryDecode(Prefix, cursor, out incarnation, out sequence);
}
