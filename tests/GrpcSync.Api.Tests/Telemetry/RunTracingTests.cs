using System.Collections.Concurrent;
using System.Diagnostics;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests.Telemetry;

/// <summary>
/// The "GrpcSync" ActivitySource as a listener sees it: one span per run, with a child per source call and per
/// stored page, carrying the Sync id, run id and attempt, and nothing of the credential's secret.
/// </summary>
public abstract class RunTracingTests(EngineServerFixture server) : EngineApiTest(server), IDisposable
{
    [Collection(TelemetryCollection.Name)]
    public sealed class OnSqlite(SqliteEngineServer server) : RunTracingTests(server), IClassFixture<SqliteEngineServer>;

    [Collection(TelemetryCollection.Name)]
    public sealed class OnPostgres(PostgresEngineServer server) : RunTracingTests(server), IClassFixture<PostgresEngineServer>;

    private readonly ConcurrentQueue<Activity> _stopped = new();
    private ActivityListener? _listener;

    private void Listen()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "GrpcSync",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ARun_IsOneSpanWithChildrenPerSourceCallAndPage_AndCarriesIdsButNoSecret()
    {
        Listen();

        var synced = await NewSyncedAccount();
        var run = Assert.Single(await synced.User.Runs(synced.SyncId));

        var runSpan = await Eventually.Until(() => Task.FromResult(_stopped.FirstOrDefault(a =>
                a.OperationName == "grpcsync.run" && (string?)a.GetTagItem("grpcsync.sync.id") == synced.SyncId)),
            a => a is not null, "the run's span to end", context: () => Server.EngineLog());
        Assert.NotNull(runSpan);
        Assert.Equal(run.Id, runSpan.GetTagItem("grpcsync.run.id"));
        Assert.Equal(1, runSpan.GetTagItem("grpcsync.run.attempt"));
        Assert.Equal("INITIAL", runSpan.GetTagItem("grpcsync.run.type"));
        Assert.Equal("filesystem", runSpan.GetTagItem("grpcsync.integration"));
        Assert.Equal("succeeded", runSpan.GetTagItem("grpcsync.run.outcome"));
        Assert.Null(runSpan.ParentId); // a root: the dispatcher's loop is nobody's request
        Assert.NotEqual(ActivityStatusCode.Error, runSpan.Status);

        var trace = _stopped.Where(a => a.TraceId == runSpan.TraceId).ToList();
        var children = trace.Where(a => a.ParentSpanId == runSpan.SpanId).ToList();
        var pages = children.Where(a => a.OperationName == "grpcsync.run.page").ToList();
        Assert.Equal(2, pages.Count); // the records, then the reconcile write
        Assert.Equal(7, pages.Sum(p => (long)p.GetTagItem("grpcsync.page.created")!));
        Assert.Contains(children, a => a.OperationName == "grpcsync.source.enumerate");
        Assert.Single(children, a => a.OperationName == "grpcsync.run.finish");
        Assert.All(children, a => Assert.True(a.Duration <= runSpan.Duration, a.OperationName));

        // The filesystem credential's secret is the account's path: no attribute of the trace may show it.
        var values = trace.SelectMany(a => a.TagObjects.Select(t => t.Value?.ToString() ?? "")).ToList();
        Assert.DoesNotContain(values, v => v.Contains(synced.Account.Root, StringComparison.Ordinal));
        Assert.DoesNotContain(trace, a => a.DisplayName.Contains(synced.Account.Root, StringComparison.Ordinal));
    }
}
