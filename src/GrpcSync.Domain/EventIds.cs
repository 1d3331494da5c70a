namespace GrpcSync.Domain;

/// <summary>
/// Event ids are UUIDv7 made from the event's timestamp (<see cref="SyncEvents"/>), so their order (bytes, as
/// both stores compare them) is time order to the millisecond. The store trims the log by id on that account.
/// </summary>
public static class EventIds
{
    /// <summary>
    /// The smallest UUIDv7 of the millisecond <paramref name="time"/>: every event id made before that millisecond
    /// is below it, every one made in it or later is not.
    /// </summary>
    public static Guid LowestAt(DateTimeOffset time)
    {
        var ms = time.ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(ms, nameof(time));
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(ms >> (8 * (5 - i)));
        }
        bytes[6] = 0x70; // version 7, then zero random bits
        bytes[8] = 0x80; // RFC 9562 variant, then zero random bits
        return new Guid(bytes, bigEndian: true);
    }
}
