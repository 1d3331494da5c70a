using System.Text.Json.Nodes;

namespace GrpcSync.Connectors;

/// <summary>
/// One record as the source has it. <see cref="Fields"/> follow the pipeline's schema (for files:
/// name, mimeType, size, hash, createdAt, updatedAt, parentFolderId). <see cref="Fingerprint"/>
/// changes whenever the record changes, so unchanged records are not rewritten.
/// </summary>
public sealed record SourceRecord(string ExternalId, JsonObject Fields, string Fingerprint);
