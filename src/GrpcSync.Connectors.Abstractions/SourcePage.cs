namespace GrpcSync.Connectors;

/// <summary>
/// One page from the source. <see cref="Cursor"/> is where a later <c>ChangesSinceAsync</c> should
/// resume after this page has been stored (null = unchanged).
/// </summary>
public sealed record SourcePage(IReadOnlyList<SourceRecord> Records, string? Cursor)
{
    /// <summary>
    /// External ids the source reported gone since the cursor (a change feed's removals, or records that left the
    /// Sync's scope). Only read on INCREMENTAL pages: the engine tombstones them with the page, in the same
    /// transaction, instead of waiting for the next FULL run. Ids the Sync never had are ignored; an id should not
    /// be both here and in <see cref="Records"/>. Empty for connectors without a change feed.
    /// </summary>
    public IReadOnlyList<string> Deleted { get; init; } = [];
}
