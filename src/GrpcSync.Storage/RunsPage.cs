using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// A page of a Sync's runs and the <see cref="Sync.Incarnation"/> they belong to, read together, so a page
/// token can be checked against the life of the Sync whose runs were listed.
/// </summary>
public sealed record RunsPage(long Incarnation, IReadOnlyList<SyncRun> Runs);
