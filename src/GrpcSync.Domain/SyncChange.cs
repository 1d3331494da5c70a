namespace GrpcSync.Domain;

/// <summary>
/// What a domain decision wants written, atomically: the new Sync (null = leave it as it is),
/// runs to add, and runs whose state changes. <typeparamref name="T"/> is the decision's answer.
/// </summary>
public sealed record SyncChange<T>(Sync? NewSync, IReadOnlyList<SyncRun> RunsToInsert, IReadOnlyList<SyncRun> RunsToUpdate, T Result)
{
    public static SyncChange<T> Nothing(T result) => new(null, [], [], result);
}
