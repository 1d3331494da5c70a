using GrpcSync.Connectors;
using GrpcSync.Storage;

namespace GrpcSync.Engine.Running;

/// <summary>A run's <see cref="SourceContext.Known"/>: the Sync's stored fingerprints, read from the store per page.</summary>
internal sealed class StoredRecords(IEngineStore store, Guid syncId) : IKnownRecords
{
    public Task<IReadOnlyDictionary<string, string>> FingerprintsAsync(IReadOnlyCollection<string> externalIds, CancellationToken ct) =>
        store.ReadLiveFingerprintsAsync(syncId, externalIds, ct);
}
