namespace GrpcSync.Storage;

/// <summary>What a page write changed.</summary>
public sealed record RecordPageResult(bool Fenced, int Created, int Updated, int Deleted);
