namespace GrpcSync.Domain;

/// <summary>What a run attempt changed in the Sync's records (reported in <c>run_finished</c>).</summary>
public sealed record RunCounts(long Created, long Updated, long Deleted)
{
    public static readonly RunCounts None = new(0, 0, 0);
}
