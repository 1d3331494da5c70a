namespace GrpcSync.Connectors;

/// <summary>
/// One page from the source. <see cref="Cursor"/> is where a later <c>ChangesSinceAsync</c> should
/// resume after this page has been stored (null = unchanged).
/// </summary>
public sealed record SourcePage(IReadOnlyList<SourceRecord> Records, string? Cursor);
