namespace GrpcSync.Connectors;

/// <summary>
/// What the engine already holds of a Sync's records, for connectors whose listing is cheap but whose full record
/// costs one more request per item (S3's Content-Type and checksum need a HEAD per object): a connector asks for
/// the fingerprints of a page's ids and spends the extra request only on records that are new or changed.
/// </summary>
public interface IKnownRecords
{
    /// <summary>
    /// The stored fingerprint of each live record among <paramref name="externalIds"/>; ids the Sync has no live
    /// record for (new, or a tombstone) are absent.
    /// </summary>
    Task<IReadOnlyDictionary<string, string>> FingerprintsAsync(IReadOnlyCollection<string> externalIds, CancellationToken ct);
}
