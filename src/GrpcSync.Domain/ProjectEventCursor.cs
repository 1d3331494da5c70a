namespace GrpcSync.Domain;

/// <summary>
/// The opaque cursor of a project's event stream: just after one global position (<see cref="LoggedEvent.Position"/>),
/// base64 of <c>project:0:&lt;position&gt;</c> through the canonical <see cref="LifeCursor"/> codec (positions
/// belong to no Sync life, so that slot is always 0). Anything else, including a Sync's event cursor, is refused.
/// </summary>
public static class ProjectEventCursor
{
    private const string Prefix = "project:";

    public static string Encode(long position) => LifeCursor.Encode(Prefix, 0, position);

    /// <summary>The position of a cursor <see cref="Encode"/> made; false for anything else.</summary>
    public static bool TryDecode(string? cursor, out long position)
    {
        if (LifeCursor.TryDecode(Prefix, cursor, out var life, out position) && life == 0)
        {
            return true;
        }
        position = 0;
        return false;
    }
}
