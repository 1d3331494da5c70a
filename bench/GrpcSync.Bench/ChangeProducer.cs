using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcSync.V1;

namespace GrpcSync.Bench;

/// <summary>
/// Figure 7's event source: real UpdateSync calls (Grpc.Net.Client, h2c) that each change a Sync's frequency,
/// so each commits exactly one <c>sync_updated</c> event. A Sync is changed by one call at a time and flips
/// 5m ↔ 10m from a known value (<see cref="PrepareAsync"/> sets 5m), so every call writes.
/// </summary>
public sealed class ChangeProducer : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly SyncService.SyncServiceClient _client;
    private readonly ConcurrentQueue<Slot> _free = new();
    private readonly SemaphoreSlim _available;
    private long _failed;

    private sealed class Slot(BenchSync sync)
    {
        public BenchSync Sync { get; } = sync;
        public Metadata Headers { get; } = new() { { "authorization", sync.Owner.Bearer } };
        public bool AtFive { get; set; }
    }

    public ChangeProducer(string grpcUrl, IReadOnlyList<BenchSync> syncs)
    {
        _channel = GrpcChannel.ForAddress(grpcUrl, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        _client = new SyncService.SyncServiceClient(_channel);
        foreach (var sync in syncs)
        {
            _free.Enqueue(new Slot(sync));
        }
        _available = new SemaphoreSlim(syncs.Count, syncs.Count);
    }

    /// <summary>Calls that did not answer OK.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Sets every Sync to 5m (a write, or nothing if it was 5m already), so each later call changes its row.</summary>
    public async Task PrepareAsync()
    {
        foreach (var slot in _free)
        {
            await _client.UpdateSyncAsync(new UpdateSyncRequest { SyncId = slot.Sync.Id, IncrementalAccumulatorFrequency = "5m" }, slot.Headers);
            slot.AtFive = true;
        }
    }

    /// <summary>One change: waits for a Sync no other call is changing, flips its frequency; false if the call failed.</summary>
    public async Task<bool> ChangeAsync()
    {
        await _available.WaitAsync();
        _free.TryDequeue(out var slot);
        try
        {
            var next = slot!.AtFive ? "10m" : "5m";
            await _client.UpdateSyncAsync(new UpdateSyncRequest { SyncId = slot.Sync.Id, IncrementalAccumulatorFrequency = next }, slot.Headers);
            slot.AtFive = !slot.AtFive;
            return true;
        }
        catch (RpcException)
        {
            Interlocked.Increment(ref _failed);
            return false;
        }
        finally
        {
            _free.Enqueue(slot!);
            _available.Release();
        }
    }

    /// <summary>Closed loop: <paramref name="total"/> changes from <paramref name="concurrency"/> callers, as fast as they go. Returns the successful ones.</summary>
    public async Task<long> BurstAsync(int total, int concurrency)
    {
        var left = total;
        long ok = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref left) >= 0)
            {
                if (await ChangeAsync())
                {
                    Interlocked.Increment(ref ok);
                }
            }
        })));
        return ok;
    }

    /// <summary>
    /// Open loop: one change every 1/<paramref name="perSecond"/> s for <paramref name="duration"/>, each started on
    /// schedule without waiting for earlier ones (at most the number of Syncs in flight; beyond that the producer
    /// falls behind, and <see cref="PacedResult.Behind"/> says how far). Returns the successful changes.
    /// </summary>
    public async Task<PacedResult> PacedAsync(double perSecond, TimeSpan duration, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var count = (int)Math.Max(1, Math.Round(perSecond * duration.TotalSeconds));
        var calls = new List<Task<bool>>(count);
        var behind = TimeSpan.Zero;
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / perSecond);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, ct);
            }
            else if (-wait > behind)
            {
                behind = -wait;
            }
            calls.Add(ChangeAsync());
        }
        var results = await Task.WhenAll(calls);
        return new PacedResult(results.LongCount(r => r), count, clock.Elapsed, behind);
    }

    public void Dispose()
    {
        _channel.Dispose();
        _available.Dispose();
    }
}

/// <summary>A paced run: changes that succeeded, changes sent, how long it took, and the most the producer fell behind its schedule.</summary>
public sealed record PacedResult(long Changed, int Sent, TimeSpan Elapsed, TimeSpan Behind);
