namespace GrpcSync.Storage;

/// <summary>Run history retention (the engine's <c>RunRetention</c> loop); collapsing happens in the finish itself.</summary>
public interface IRunHistoryStore
{
    /// <summary>
    /// One bounded step of a retention pass: looks at up to <paramref name="max"/> (at least 1) history entries in id
    /// (creation) order after <paramref name="after"/> (null: from the start) and created before
    /// <paramref name="cutoff"/>, and deletes those that ended and were last started before it, except each Sync's
    /// newest <see cref="Domain.RunHistory.KeptPerSync"/> entries; one short transaction. A pass repeats it from
    /// <see cref="RunTrimStep.Next"/> until that is null, so entries kept for the newest-20 rule are stepped over
    /// instead of read again by every batch.
    /// </summary>
    Task<RunTrimStep> TrimRunHistoryAsync(DateTimeOffset cutoff, Guid? after, int max, CancellationToken ct = default);
}

/// <summary>What one retention step did: entries looked at and deleted, and where the next step starts (null: done).</summary>
public sealed record RunTrimStep(int Examined, int Deleted, Guid? Next);
