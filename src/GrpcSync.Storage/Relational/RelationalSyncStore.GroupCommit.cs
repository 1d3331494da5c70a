using System.Collections.Concurrent;
using System.Data.Common;

namespace GrpcSync.Storage.Relational;

/// <summary>Group commit: concurrent single mutations share one transaction and one commit.</summary>
public abstract partial class RelationalSyncStore
{
    /// <summary>
    /// True where a commit is expensive enough (SQLite with <c>synchronous=FULL</c>: one fsync each) that
    /// concurrent single mutations should share it: see <see cref="WriteGroupedAsync"/>.
    /// </summary>
    private protected virtual bool GroupsCommits => false;

    /// <summary>Most mutations one group commit carries.</summary>
    private const int MaxGroup = 64;

    private readonly ConcurrentQueue<GroupedWrite> _groupedWrites = new();

    /// <summary>A mutation waiting for a group commit. State: 0 waiting, 1 taken by a leader, 2 given up by its caller.</summary>
    private sealed class GroupedWrite(Func<StoreConnection, DbTransaction, Task> run)
    {
        public Func<StoreConnection, DbTransaction, Task> Run { get; } = run;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int State;
    }

    /// <summary>
    /// Group commit: <paramref name="run"/> is queued, and whichever caller gets the write turn next (the leader)
    /// runs every queued mutation (up to <see cref="MaxGroup"/>) in one transaction, each under its own savepoint,
    /// and commits once. A mutation that throws is rolled back to its savepoint and its caller gets the exception;
    /// the others still commit. Every caller returns only after the commit that holds its write (or its error).
    /// A caller cancelled before a leader took its mutation gives it up: it is never written.
    /// </summary>
    private async Task WriteGroupedAsync(Func<StoreConnection, DbTransaction, Task> run, CancellationToken ct)
    {
        var mine = new GroupedWrite(run);
        _groupedWrites.Enqueue(mine);
        IDisposable? turn;
        try
        {
            turn = await EnterWriteKeepingClaimedRowsAsync(ct); // each grouped mutation forgets its Sync's row (MutateOneAsync)
        }
        catch when (Interlocked.CompareExchange(ref mine.State, 2, 0) != 0)
        {
            await mine.Done.Task; // a leader already took it: its outcome is the answer
            return;
        }
        using (turn)
        {
            while (!mine.Done.Task.IsCompleted)
            {
                await LeadGroupAsync();
            }
        }
        await mine.Done.Task;
    }

    private async Task LeadGroupAsync()
    {
        var group = new List<GroupedWrite>();
        while (group.Count < MaxGroup && _groupedWrites.TryDequeue(out var next))
        {
            if (Interlocked.CompareExchange(ref next.State, 1, 0) == 0)
            {
                group.Add(next);
            }
        }
        var written = new List<GroupedWrite>(group.Count);
        try
        {
            await using var connection = await OpenConnectionAsync(CancellationToken.None);
            await using var tx = await BeginWriteAsync(connection.Connection, CancellationToken.None);
            foreach (var write in group)
            {
                await tx.SaveAsync("grouped");
                try
                {
                    await write.Run(connection, tx);
                    await tx.ReleaseAsync("grouped");
                    written.Add(write);
                }
                catch (Exception error)
                {
                    await tx.RollbackAsync("grouped");
                    await tx.ReleaseAsync("grouped");
                    write.Done.TrySetException(error);
                }
            }
            await CommitAsync(connection, tx);
        }
        catch (Exception error)
        {
            foreach (var write in group)
            {
                write.Done.TrySetException(error); // nothing of this group was committed
            }
            return;
        }
        foreach (var write in written)
        {
            write.Done.TrySetResult();
        }
    }
}
