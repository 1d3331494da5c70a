using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcSync.EndToEnd.Tests.Infrastructure;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>
/// Telemetry of the real process, configured by environment variables like a deployment: JSON log lines (by either
/// switch) with the run's ids in scope, and the Prometheus scrape after one run, exact since the process is alone.
/// </summary>
public sealed class TelemetryTests
{
    [Theory]
    [InlineData("GrpcSync__Logging__Json", "true")]
    [InlineData("Logging__Console__FormatterName", "json")]
    public async Task Json_logs_are_one_object_per_line_and_a_runs_lines_carry_its_run_id_in_scope(string setting, string value)
    {
        using var environment = new TestEnvironment();
        await using var server = await environment.StartServerAsync(new Dictionary<string, string> { [setting] = value });
        var (syncId, runId) = await SyncOnceAsync(environment, server);

        var lines = await Poll.UntilAsync(() => Task.FromResult(StdoutLines(server)),
            l => l.Any(line => line.Contains("\"EventId\":2002", StringComparison.Ordinal)), _ => server.HasExited,
            "the run's finished line", () => server.Output);
        var entries = lines.Select(line =>
        {
            try
            {
                return JsonNode.Parse(line)!.AsObject();
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"Not a JSON line ({e.Message}): {line}{Environment.NewLine}{server.Output}");
            }
        }).ToList();

        Assert.All(entries, e => Assert.True(e.ContainsKey("Timestamp") && e.ContainsKey("LogLevel") && e.ContainsKey("Category"), e.ToJsonString()));
        var runLines = entries.Where(e => e["Category"]?.GetValue<string>() == "GrpcSync.Engine.Running.RunWorker").ToList();
        Assert.Contains(runLines, e => e["EventId"]?.GetValue<int>() == 2001);
        Assert.Contains(runLines, e => e["EventId"]?.GetValue<int>() == 2002);
        Assert.All(runLines, e =>
        {
            var scope = e["Scopes"]?.AsArray().OfType<JsonObject>().FirstOrDefault(s => s.ContainsKey("RunId"));
            Assert.True(scope is not null, $"No run scope: {e.ToJsonString()}");
            Assert.Equal(runId, scope!["RunId"]!.GetValue<string>());
            Assert.Equal(syncId, scope["SyncId"]!.GetValue<string>());
            Assert.Equal(1, scope["Attempt"]!.GetValue<int>());
        });
        Assert.Contains(entries, e => e["Message"]?.GetValue<string>().StartsWith("GrpcSync is running", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Metrics_scrape_of_the_real_process_shows_one_run_by_its_labels_and_needs_no_token()
    {
        using var environment = new TestEnvironment();
        await using var server = await environment.StartServerAsync();
        using var http = new HttpClient { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        await SyncOnceAsync(environment, server);

        var scrape = await Poll.UntilAsync(async () => PrometheusText.Parse(await http.GetStringAsync("metrics")),
            s => s.Sum("grpcsync_runs_finished_total") >= 1 && s.Sum("grpcsync_syncs", ("status", "IDLE")) == 1,
            _ => server.HasExited, "the run and the IDLE Sync on /metrics", () => server.Output);
        var run = new[] { ("integration", "filesystem"), ("type", "INITIAL"), ("trigger", "ENABLE") };
        Assert.Equal(1, scrape.Sum("grpcsync_runs_started_total", run));
        Assert.Equal(1, scrape.Sum("grpcsync_runs_finished_total", [.. run, ("outcome", "succeeded")]));
        Assert.Equal(1, scrape.Sum("grpcsync_runs_finished_total"));
        Assert.Equal(TestEnvironment.AccountRecordIds.Length, scrape.Sum("grpcsync_records_written_total", ("operation", "created")));
        Assert.Equal(1, scrape.Sum("grpcsync_run_duration_seconds_count", ("outcome", "succeeded")));
        Assert.Equal(1, scrape.Sum("grpcsync_syncs"));
        Assert.Contains(scrape.Samples, s => s.Name == "grpcsync_dispatch_lag_seconds_bucket" && s.Labels["le"] == "+Inf" && s.Value == 1);
    }

    /// <summary>Enables a filesystem Sync over REST and waits for its INITIAL run: (Sync id, run id).</summary>
    private static async Task<(string SyncId, string RunId)> SyncOnceAsync(TestEnvironment environment, ServerProcess server)
    {
        using var http = new HttpClient { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var token = environment.Key.CreateToken($"user-{Guid.NewGuid():N}");
        var credential = await Rest.OkAsync(http, HttpMethod.Post, "api/credentials", token,
            new JsonObject { ["integration"] = "filesystem", ["displayName"] = "Files", ["secret"] = environment.NewAccount() });
        var sync = await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, new JsonObject
        {
            ["integration"] = "filesystem",
            ["pipeline"] = "files",
            ["credentialId"] = credential.Str("id"),
            ["configuration"] = new JsonObject(),
        });
        var syncId = sync.Str("id");
        await Poll.UntilAsync(() => Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token),
            s => s.Str("status") == "IDLE", s => s.Str("status") == "ERRORED", $"Sync {syncId} to become IDLE", () => server.Output);
        var runs = (await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}/runs", token))["runs"]!.AsArray();
        return (syncId, Assert.Single(runs)!.AsObject().Str("id"));
    }

    private static List<string> StdoutLines(ServerProcess server) =>
        [.. server.Lines.Where(l => l.Length > 0 && !l.StartsWith("[stderr] ", StringComparison.Ordinal))];
}
