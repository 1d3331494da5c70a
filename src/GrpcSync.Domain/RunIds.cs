namespace GrpcSync.Domain;

/// <summary>Run ids are UUIDv7 made when the run is created (<see cref="SyncRules.NewRun"/>): they carry that millisecond.</summary>
public static class RunIds
{
    /// <summary>The Unix millisecond a UUIDv7 was made in; null for an id of another version.</summary>
    public static long? CreatedAt(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        if (bytes[6] >> 4 != 7)
        {
            return null;
        }
        long ms = 0;
        for (var i = 0; i < 6; i++)
        {
            ms = (ms << 8) | bytes[i];
        }
        return ms;
    }
}
