using System.Collections.Concurrent;
using System.Threading.Channels;
using GrpcSync.Domain;
using GrpcSync.Storage;

namespace GrpcSync.Engine.Tests.Infrastructure;

/// <summary>
/// The engine's view of the real store, recorded: lease renewals (so fake-time tests can wait for
/// them), page writes with their results, credential reads (one by id, or a round's at once), and an optional pause before them.
/// </summary>
public sealed class RecordingEngineStore(IEngineStore inner) : IEngineStore
{
    private readonly Channel<bool> _renewals = Channel.CreateUnbounded<bool>();
    private readonly ConcurrentQueue<(RecordPage Page, RecordPageResult Result)> _pageWrites = new();

    /// <summary>When set, credential reads wait here first (to change the world between claim and read).</summary>
    public Gate? BeforeCredentialRead { get; set; }

    public IReadOnlyList<(RecordPage Page, RecordPageResult Result)> PageWrites => [.. _pageWrites];

    private readonly ConcurrentQueue<int> _batchSizes = new();

    /// <summary>When set, group commits (<see cref="MutateSyncsAsync{T}"/>) wait here first, so run endings queue up behind them.</summary>
    public Gate? BeforeBatch { get; set; }

    /// <summary>When true, every group commit fails (after its gate) without writing anything.</summary>
    public bool FailBatches { get; set; }

    /// <summary>How many mutations each group commit carried, in order (failed ones included).</summary>
    public IReadOnlyList<int> BatchSizes => [.. _batchSizes];

    /// <summary>The result of the next lease renewal a worker makes.</summary>
    public async Task<bool> NextRenewalAsync() => await _renewals.Reader.ReadAsync().AsTask().WaitAsync(EngineHarness.Timeout);

    public Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max,
        Func<string, int> maxRunsPerCredential, Func<SyncSnapshot, CredentialBudget, SyncChange<SyncRun?>> decide,
        CancellationToken ct = default) =>
        inner.DispatchAsync(now, max, maxRunsPerCredential, decide, ct);

    public async Task<bool> RenewLeaseAsync(Guid syncId, Guid runId, int attempt, DateTimeOffset leaseExpiresAt, CancellationToken ct = default)
    {
        var renewed = await inner.RenewLeaseAsync(syncId, runId, attempt, leaseExpiresAt, ct);
        _renewals.Writer.TryWrite(renewed);
        return renewed;
    }

    public Task<SyncChange<T>?> MutateSyncAsync<T>(Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide, CancellationToken ct = default) =>
        inner.MutateSyncAsync(syncId, decide, ct);

    public async Task<IReadOnlyList<SyncChange<T>?>> MutateSyncsAsync<T>(
        IReadOnlyList<(Guid SyncId, Func<SyncSnapshot, SyncChange<T>> Decide)> mutations, CancellationToken ct = default)
    {
        if (BeforeBatch is { } gate)
        {
            await gate.WaitAsync(ct);
        }
        _batchSizes.Enqueue(mutations.Count);
        if (FailBatches)
        {
            throw new InvalidOperationException("group commit failed (test)");
        }
        return await inner.MutateSyncsAsync(mutations, ct);
    }

    public Task<SyncSnapshot?> GetSyncAsync(Guid syncId, CancellationToken ct = default) => inner.GetSyncAsync(syncId, ct);

    public async Task<Credential?> GetCredentialAsync(Guid credentialId, CancellationToken ct = default)
    {
        if (BeforeCredentialRead is { } gate)
        {
            await gate.WaitAsync(ct);
        }
        Interlocked.Increment(ref _singleCredentialReads);
        return await inner.GetCredentialAsync(credentialId, ct);
    }

    private readonly ConcurrentQueue<int> _credentialBatches = new();
    private int _singleCredentialReads;

    /// <summary>How many ids each read of many credentials (a dispatch round's) asked for, in order.</summary>
    public IReadOnlyList<int> CredentialBatches => [.. _credentialBatches];

    /// <summary>Reads of one credential by id.</summary>
    public int SingleCredentialReads => Volatile.Read(ref _singleCredentialReads);

    /// <summary>When true, every read of many credentials fails (after <see cref="BeforeCredentialRead"/>).</summary>
    public bool FailCredentialBatches { get; set; }

    public async Task<IReadOnlyDictionary<Guid, Credential>> GetCredentialsAsync(IReadOnlyCollection<Guid> credentialIds,
        CancellationToken ct = default)
    {
        if (BeforeCredentialRead is { } gate)
        {
            await gate.WaitAsync(ct);
        }
        _credentialBatches.Enqueue(credentialIds.Count);
        if (FailCredentialBatches)
        {
            throw new InvalidOperationException("credential read failed (test)");
        }
        return await inner.GetCredentialsAsync(credentialIds, ct);
    }

    public Task<IReadOnlyDictionary<string, string>> ReadLiveFingerprintsAsync(Guid syncId, IReadOnlyCollection<string> externalIds,
        CancellationToken ct = default) => inner.ReadLiveFingerprintsAsync(syncId, externalIds, ct);

    public async Task<RecordPageResult> WriteRecordPageAsync(RecordPage page, CancellationToken ct = default)
    {
        var result = await inner.WriteRecordPageAsync(page, ct);
        _pageWrites.Enqueue((page, result));
        return result;
    }
}
