using System.Threading.Channels;
using GrpcSync.Domain;
using GrpcSync.Storage;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Engine.Running;

/// <summary>
/// Group commit of run endings: workers hand their <see cref="RunRules.Finish"/> decision to one writer loop,
/// which writes everything that queued up meanwhile (up to <see cref="EngineOptions.FinishBatch"/>) in one
/// store transaction (<see cref="IEngineStore.MutateSyncsAsync{T}"/>). Under load, one SQLite write (or one
/// PostgreSQL commit) then serves many runs; when runs end one at a time, a batch is one run and nothing waits.
/// If a batch fails, its runs are written one by one, so one bad change cannot fail the others.
/// </summary>
internal sealed partial class FinishWriter : IAsyncDisposable
{
    private readonly IEngineStore _store;
    private readonly int _maxBatch;
    private readonly ILogger _logger;
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public FinishWriter(IEngineStore store, int maxBatch, ILogger logger)
    {
        _store = store;
        _maxBatch = maxBatch;
        _logger = logger;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Run endings queued and not yet taken into a batch.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    private int _waiting; // the single-reader channel cannot count

    /// <summary>Writes the decision (in a later group commit); the result as <see cref="IEngineStore.MutateSyncAsync{T}"/> gives it.</summary>
    public Task<SyncChange<FinishResult>?> FinishAsync(Guid syncId, Func<SyncSnapshot, SyncChange<FinishResult>> decide)
    {
        var item = new Item(syncId, decide, new TaskCompletionSource<SyncChange<FinishResult>?>(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Increment(ref _waiting);
        if (_queue.Writer.TryWrite(item))
        {
            return item.Done.Task;
        }
        Interlocked.Decrement(ref _waiting);
        return _store.MutateSyncAsync(syncId, decide, CancellationToken.None); // after disposal: write it alone
    }

    private async Task LoopAsync()
    {
        var batch = new List<Item>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
                Interlocked.Decrement(ref _waiting);
            }
            try
            {
                var results = await _store.MutateSyncsAsync(batch.Select(i => (i.SyncId, i.Decide)).ToList(), CancellationToken.None);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                LogBatchFailed(e, batch.Count);
                foreach (var item in batch)
                {
                    try
                    {
                        item.Done.TrySetResult(await _store.MutateSyncAsync(item.SyncId, item.Decide, CancellationToken.None));
                    }
                    catch (Exception single)
                    {
                        item.Done.TrySetException(single);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Takes no more endings (later ones are written alone) and waits, at most <see cref="DisposeWait"/>, for the
    /// queued ones. A store that hangs must not hang the host's shutdown: runs whose end was not written stay
    /// RUNNING and are reclaimed when their lease expires.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(DisposeWait);
        }
        catch (TimeoutException)
        {
            LogDisposeTimedOut(Waiting, DisposeWait);
        }
    }

    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(10);

    private sealed record Item(Guid SyncId, Func<SyncSnapshot, SyncChange<FinishResult>> Decide,
        TaskCompletionSource<SyncChange<FinishResult>?> Done);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning,
        Message = "Recording the end of {Count} runs in one transaction failed; writing them one by one")]
    private partial void LogBatchFailed(Exception e, int count);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning,
        Message = "Stopped waiting for the group commit of run endings after {Wait}; {Count} more were queued. Their runs are reclaimed when their leases expire")]
    private partial void LogDisposeTimedOut(int count, TimeSpan wait);
}
