using System.Diagnostics;
using System.Runtime.CompilerServices;
using GrpcSync.Connectors;
using GrpcSync.Domain;

namespace GrpcSync.Engine.Telemetry;

/// <summary>
/// The engine's spans (ActivitySource <see cref="SourceName"/>): one <c>grpcsync.run</c> per run, with a child
/// per source call (<c>grpcsync.source.enumerate</c> / <c>grpcsync.source.changes</c>: one page fetched from the
/// connector) and per stored page (<c>grpcsync.run.page</c>), and the finish write (<c>grpcsync.run.finish</c>).
/// Attributes are ids, counts and outcomes: never a secret, a token or a record's content. Without a listener
/// (no tracing configured) nothing is allocated.
/// </summary>
public static class EngineTracing
{
    /// <summary>The ActivitySource's name, also that of the API spans' source.</summary>
    public const string SourceName = "GrpcSync";

    public const string RunSpan = "grpcsync.run";
    public const string PageSpan = "grpcsync.run.page";
    public const string FinishSpan = "grpcsync.run.finish";
    public const string EnumerateSpan = "grpcsync.source.enumerate";
    public const string ChangesSpan = "grpcsync.source.changes";

    public const string SyncIdAttribute = "grpcsync.sync.id";
    public const string RunIdAttribute = "grpcsync.run.id";
    public const string AttemptAttribute = "grpcsync.run.attempt";

    internal static readonly ActivitySource Source = new(SourceName, typeof(EngineTracing).Assembly.GetName().Version?.ToString());

    /// <summary>The run's span: a root of its own (the dispatcher's loop is nobody's request).</summary>
    internal static Activity? StartRun(Sync sync, SyncRun run)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var previous = Activity.Current;
        Activity.Current = null; // never a child of whatever the dispatching thread was doing
        var activity = Source.StartActivity(RunSpan, ActivityKind.Internal);
        if (activity is null)
        {
            Activity.Current = previous;
            return null;
        }
        activity.SetTag(SyncIdAttribute, sync.Id.ToString());
        activity.SetTag(RunIdAttribute, run.Id.ToString());
        activity.SetTag(AttemptAttribute, run.Attempt);
        activity.SetTag("grpcsync.run.type", TelemetryNames.Of(run.Type));
        activity.SetTag("grpcsync.run.trigger", TelemetryNames.Of(run.Trigger));
        activity.SetTag("grpcsync.integration", sync.Integration);
        activity.SetTag("grpcsync.pipeline", sync.Pipeline);
        return activity;
    }

    /// <summary>The run ended: its outcome, and an error status unless it succeeded or was released.</summary>
    internal static void Finished(Activity? activity, string outcome, int pages, long seen)
    {
        if (activity is null)
        {
            return;
        }
        activity.SetTag("grpcsync.run.outcome", outcome);
        activity.SetTag("grpcsync.run.pages", pages);
        activity.SetTag("grpcsync.run.records_seen", seen);
        if (outcome is not (TelemetryNames.Outcomes.Succeeded or TelemetryNames.Outcomes.Released))
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome);
        }
    }

    /// <summary>One page's store write.</summary>
    internal static Activity? StartPage(int records, bool reconcile)
    {
        var activity = Source.StartActivity(PageSpan, ActivityKind.Internal);
        activity?.SetTag("grpcsync.page.records", records);
        activity?.SetTag("grpcsync.page.reconcile", reconcile);
        return activity;
    }

    /// <summary>The page write's result.</summary>
    internal static void PageWritten(Activity? activity, bool fenced, long created, long updated, long deleted)
    {
        if (activity is null)
        {
            return;
        }
        activity.SetTag("grpcsync.page.fenced", fenced);
        activity.SetTag("grpcsync.page.created", created);
        activity.SetTag("grpcsync.page.updated", updated);
        activity.SetTag("grpcsync.page.deleted", deleted);
    }

    internal static Activity? StartFinish() => Source.StartActivity(FinishSpan, ActivityKind.Internal);

    /// <summary>The connector's pages, traced per fetch when anyone listens (<see cref="SourceCalls"/>), else as they are.</summary>
    internal static IAsyncEnumerable<SourcePage> Traced(IAsyncEnumerable<SourcePage> pages, string spanName, CancellationToken ct) =>
        Source.HasListeners() ? SourceCalls(pages, spanName, ct) : pages;

    /// <summary>
    /// The connector's pages, each fetch (one <c>MoveNextAsync</c>: the source calls that make a page) in a span
    /// named <paramref name="spanName"/>, so a slow source shows apart from a slow store.
    /// </summary>
    internal static async IAsyncEnumerable<SourcePage> SourceCalls(IAsyncEnumerable<SourcePage> pages, string spanName,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var pager = pages.GetAsyncEnumerator(ct);
        while (true)
        {
            bool more;
            using (var activity = Source.StartActivity(spanName, ActivityKind.Client))
            {
                try
                {
                    more = await pager.MoveNextAsync();
                }
                catch (Exception e)
                {
                    // The exception's type only: source messages may quote URLs or account names.
                    activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
                    throw;
                }
                activity?.SetTag("grpcsync.page.records", more ? pager.Current.Records.Count : 0);
            }
            if (!more)
            {
                yield break;
            }
            yield return pager.Current;
        }
    }
}
