using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Storage.Relational;

/// <summary>
/// Enum values spelled as SQL string literals, built from the enums (which are stored by name), so a renamed
/// value cannot leave a statement comparing against the old name. Constants: the SQL text, and with it the
/// prepared-command cache key, is the same as when these were written out by hand.
/// </summary>
internal static class SqlLiterals
{
    public const string Queued = $"'{nameof(RunState.Queued)}'";

    public const string Running = $"'{nameof(RunState.Running)}'";

    public const string Disabled = $"'{nameof(SyncStatus.Disabled)}'";

    public const string Errored = $"'{nameof(SyncStatus.Errored)}'";

    public const string DeliveryPending = $"'{nameof(DeliveryState.Pending)}'";

    public const string DeliverySucceeded = $"'{nameof(DeliveryState.Succeeded)}'";

    public const string DeliveryFailed = $"'{nameof(DeliveryState.Failed)}'";

    /// <summary>The open run states, as an IN list: <c>('Queued', 'Running')</c>.</summary>
    public const string OpenRunStates = $"({Queued}, {Running})";

    /// <summary>The statuses of a stopped Sync (the dispatcher leaves it alone), as an IN list.</summary>
    public const string StoppedSyncStatuses = $"({Disabled}, {Errored})";
}
