namespace GrpcSync.Storage;

/// <summary>One record from the source, ready to store.</summary>
public sealed record RecordUpsert(Guid RecordId, string ExternalId, string DataJson, string Fingerprint);
