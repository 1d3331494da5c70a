using System.Collections;
using System.Globalization;

namespace GrpcSync.Engine.Telemetry;

/// <summary>
/// The log scope of one run's lines (<c>ILogger.BeginScope</c> in <c>RunWorker</c>): SyncId, RunId and Attempt as
/// properties, so JSON logs (scopes included) carry them on every line the run writes, the connector's too.
/// </summary>
internal sealed class RunLogScope(Guid syncId, Guid runId, int attempt) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("SyncId", syncId),
        1 => new("RunId", runId),
        2 => new("Attempt", attempt),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Run {runId} (Sync {syncId}, attempt {attempt})");
}
