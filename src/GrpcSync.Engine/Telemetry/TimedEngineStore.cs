using System.Diagnostics;
using GrpcSync.Domain;
using GrpcSync.Storage;

namespace GrpcSync.Engine.Telemetry;

/// <summary>
/// A pass-through <see cref="IEngineStore"/> that times every call into <c>grpcsync.store.operation.duration</c>
/// (tag <c>operation</c>; <c>error.type</c> when it threw). Everything, the defaulted members included, goes to the
/// inner store unchanged, so its own batching (group commit) and overloads stay in force.
/// </summary>
public sealed class TimedEngineStore(IEngineStore inner, EngineMetrics metrics) : IEngineStore
{
    /// <summary>The store being timed (tests and tools that need its other interfaces).</summary>
    public IEngineStore Inner => inner;

    public async Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max,
        Func<string, int> maxRunsPerCredential, Func<SyncSnapshot, CredentialBudget, SyncChange<SyncRun?>> decide,
        CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.DispatchAsync(now, max, maxRunsPerCredential, decide, ct);
            metrics.StoreOperation("dispatch", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("dispatch", started, e);
            throw;
        }
    }

    public async Task<IReadOnlyList<(Sync Sync, SyncRun Run)>> DispatchAsync(DateTimeOffset now, int max,
        Func<SyncSnapshot, SyncChange<SyncRun?>> decide, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.DispatchAsync(now, max, decide, ct);
            metrics.StoreOperation("dispatch", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("dispatch", started, e);
            throw;
        }
    }

    public async Task<bool> RenewLeaseAsync(Guid syncId, Guid runId, int attempt, DateTimeOffset leaseExpiresAt, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.RenewLeaseAsync(syncId, runId, attempt, leaseExpiresAt, ct);
            metrics.StoreOperation("renew_lease", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("renew_lease", started, e);
            throw;
        }
    }

    public async Task<SyncChange<T>?> MutateSyncAsync<T>(Guid syncId, Func<SyncSnapshot, SyncChange<T>> decide, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.MutateSyncAsync(syncId, decide, ct);
            metrics.StoreOperation("mutate_sync", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("mutate_sync", started, e);
            throw;
        }
    }

    public async Task<IReadOnlyList<SyncChange<T>?>> MutateSyncsAsync<T>(
        IReadOnlyList<(Guid SyncId, Func<SyncSnapshot, SyncChange<T>> Decide)> mutations, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.MutateSyncsAsync(mutations, ct);
            metrics.StoreOperation("mutate_syncs", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("mutate_syncs", started, e);
            throw;
        }
    }

    public async Task<SyncSnapshot?> GetSyncAsync(Guid syncId, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.GetSyncAsync(syncId, ct);
            metrics.StoreOperation("get_sync", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("get_sync", started, e);
            throw;
        }
    }

    public async Task<Credential?> GetCredentialAsync(Guid credentialId, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.GetCredentialAsync(credentialId, ct);
            metrics.StoreOperation("get_credential", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("get_credential", started, e);
            throw;
        }
    }

    public async Task<RecordPageResult> WriteRecordPageAsync(RecordPage page, CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.WriteRecordPageAsync(page, ct);
            metrics.StoreOperation("write_record_page", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("write_record_page", started, e);
            throw;
        }
    }

    public async Task<IReadOnlyDictionary<Guid, Credential>> GetCredentialsAsync(IReadOnlyCollection<Guid> credentialIds,
        CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.GetCredentialsAsync(credentialIds, ct);
            metrics.StoreOperation("get_credentials", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("get_credentials", started, e);
            throw;
        }
    }

    public async Task<IReadOnlyDictionary<string, string>> ReadLiveFingerprintsAsync(Guid syncId, IReadOnlyCollection<string> externalIds,
        CancellationToken ct = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await inner.ReadLiveFingerprintsAsync(syncId, externalIds, ct);
            metrics.StoreOperation("read_fingerprints", started);
            return result;
        }
        catch (Exception e)
        {
            metrics.StoreOperation("read_fingerprints", started, e);
            throw;
        }
    }
}
