namespace GrpcSync.Domain;

/// <summary>
/// Every Sync's own slot on the grid of its interval: scheduled runs start on it (<see cref="RunRules.NextRunAfterStart"/>),
/// so a Sync's phase never drifts with the lag of its runs, Syncs enabled or drained together spread over the interval,
/// and a store can keep the Syncs due together side by side (<see cref="MinuteOffsetMs"/>).
/// <para>
/// The slot is a pure function of the id's random bytes, the same in every process: the offset into the minute comes
/// from bytes 12–15, the minute into the interval from bytes 8–11. All frequencies are whole minutes, so a Sync's
/// slots fall at the same offset into every minute whatever its frequency, and a frequency change keeps that offset.
/// </para>
/// </summary>
public static class ScheduleGrid
{
    private const long MinuteMs = 60_000;

    /// <summary>Where in every minute the Sync's slots fall, in [0, 60,000) ms; independent of the frequency.</summary>
    public static long MinuteOffsetMs(Guid syncId) => Scale(Hash(syncId, 12), MinuteMs);

    /// <summary>The Sync's slot in [0, interval) ms: Unix milliseconds ≡ slot (mod the interval).</summary>
    public static long SlotMs(Guid syncId, TimeSpan interval)
    {
        var intervalMs = (long)interval.TotalMilliseconds;
        if (intervalMs <= 0)
        {
            return 0;
        }
        if (intervalMs % MinuteMs != 0)
        {
            return Scale(Hash(syncId, 12), intervalMs);
        }
        return MinuteOffsetMs(syncId) + MinuteMs * Scale(Hash(syncId, 8), intervalMs / MinuteMs);
    }

    /// <summary>The first of the Sync's slots at or after <paramref name="earliest"/>: in [earliest, earliest + interval).</summary>
    public static DateTimeOffset FirstSlotAtOrAfter(Guid syncId, TimeSpan interval, DateTimeOffset earliest)
    {
        var intervalMs = (long)interval.TotalMilliseconds;
        if (intervalMs <= 0)
        {
            return earliest;
        }
        var earliestMs = earliest.ToUnixTimeMilliseconds();
        var wait = ((SlotMs(syncId, interval) - earliestMs % intervalMs) % intervalMs + intervalMs) % intervalMs;
        return DateTimeOffset.FromUnixTimeMilliseconds(earliestMs + wait);
    }

    /// <summary>hash × n / 2³² in integers: uniform over [0, n) for a uniform hash, the same on every platform.</summary>
    private static long Scale(uint hash, long n) => (long)(((ulong)hash * (ulong)n) >> 32);

    private static uint Hash(Guid syncId, int offset)
    {
        Span<byte> bytes = stackalloc byte[16];
        syncId.TryWriteBytes(bytes);
        return BitConverter.ToUInt32(bytes[offset..]);
    }
}
