using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Api.Tests.Telemetry;

/// <summary>
/// GET /metrics on a real host with the engine: a run moves the grpcsync.* series by exactly what it did, and the
/// Syncs-by-status gauge agrees with the store. Scraped over a plain socket with no token.
/// </summary>
public abstract class MetricsTests(MetricsServerFixture server) : EngineApiTest(server)
{
    [Collection(TelemetryCollection.Name)]
    public sealed class OnSqlite(SqliteMetricsServer server) : MetricsTests(server), IClassFixture<SqliteMetricsServer>;

    [Collection(TelemetryCollection.Name)]
    public sealed class OnPostgres(PostgresMetricsServer server) : MetricsTests(server), IClassFixture<PostgresMetricsServer>;

    private static readonly (string, string)[] InitialRun = [("integration", "filesystem"), ("type", "INITIAL"), ("trigger", "ENABLE")];

    [Fact]
    public async Task Scrape_AfterARun_CountsItsStartEndRecordsAndTimings()
    {
        var before = await Server.ScrapeAsync();

        await NewSyncedAccount(); // the standard tree: 7 records created by one INITIAL run

        var succeeded = InitialRun.Append(("outcome", "succeeded")).ToArray();
        var after = await Eventually.Until(Server.ScrapeAsync,
            s => Moved(before, s, "grpcsync_runs_finished_total", succeeded) >= 1, "the run's end to be counted", s => s.Text);
        Assert.Equal(1, Moved(before, after, "grpcsync_runs_started_total", InitialRun));
        Assert.Equal(1, Moved(before, after, "grpcsync_runs_finished_total", succeeded));
        Assert.Equal(0, Moved(before, after, "grpcsync_runs_finished_total", ("outcome", "transient_failure")));
        Assert.Equal(7, Moved(before, after, "grpcsync_records_written_total", ("integration", "filesystem"), ("operation", "created")));
        Assert.Equal(0, Moved(before, after, "grpcsync_records_written_total", ("operation", "updated")));
        Assert.Equal(1, Moved(before, after, "grpcsync_run_duration_seconds_count",
            ("integration", "filesystem"), ("type", "INITIAL"), ("outcome", "succeeded")));
        Assert.Equal(1, Moved(before, after, "grpcsync_dispatch_lag_seconds_count", ("integration", "filesystem"), ("trigger", "ENABLE")));
        Assert.True(Moved(before, after, "grpcsync_dispatch_round_size_count") >= 1, after.Text);
        Assert.True(Moved(before, after, "grpcsync_dispatch_round_size_sum") >= 1, after.Text); // the round that claimed it
        Assert.True(Moved(before, after, "grpcsync_dispatch_round_duration_seconds_count") >= 1, after.Text);
        // One page of records and the reconcile write.
        Assert.True(Moved(before, after, "grpcsync_store_operation_duration_seconds_count", ("operation", "write_record_page")) >= 2, after.Text);
        Assert.Equal("counter", after.Types["grpcsync_runs_started_total"]);
        Assert.Equal("histogram", after.Types["grpcsync_run_duration_seconds"]);
        // ASP.NET Core's and Kestrel's own meters come through as they are (the API calls above).
        Assert.True(after.Sum("http_server_request_duration_seconds_count") > 0, after.Text);
        Assert.Contains(after.Samples, s => s.Name.StartsWith("kestrel_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scrape_WithoutAToken_ShowsSyncsByStatusAsTheStoreCountsThem()
    {
        await NewSyncedAccount();
        var idle = await CountInStoreAsync("Idle");

        var scrape = await Eventually.Until(Server.ScrapeAsync, s => s.Sum("grpcsync_syncs", ("status", "IDLE")) == idle,
            $"the gauge to show {idle} IDLE Syncs", s => string.Join(Environment.NewLine, s.Matching("grpcsync_syncs")));

        Assert.Equal("gauge", scrape.Types["grpcsync_syncs"]);
        foreach (var status in new[] { "INITIALIZING", "ACTIVE", "IDLE", "RATE_LIMITED", "DISABLED", "ERRORED" })
        {
            Assert.Single(scrape.Matching("grpcsync_syncs", ("status", status)));
        }
        Assert.Equal(await CountInStoreAsync("Errored"), scrape.Sum("grpcsync_syncs", ("status", "ERRORED")));
    }

    private async Task<long> CountInStoreAsync(string status)
    {
        var rows = await Server.QuerySqlAsync($"SELECT COUNT(*) FROM syncs WHERE status = '{status}'");
        return Convert.ToInt64(rows[0][0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double Moved(PrometheusText before, PrometheusText after, string name, params (string, string)[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);
}
