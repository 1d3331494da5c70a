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

    [Fact]
    public async Task Otlp_export_sends_the_run_span_and_metrics_to_the_configured_endpoint_without_the_secret()
    {
        using var collector = new OtlpCollector();
        using var environment = new TestEnvironment();
        await using var server = await environment.StartServerAsync(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });

        var (syncId, runId) = await SyncOnceAsync(environment, server);

        // OTLP/protobuf keeps strings as UTF-8 bytes: the span's name and attributes can be found without a decoder.
        await Poll.UntilAsync(() => Task.FromResult(collector.Text("/v1/traces")),
            t => t.Contains("grpcsync.run", StringComparison.Ordinal) && t.Contains(runId, StringComparison.Ordinal),
            _ => server.HasExited, "the run's span at the collector", () => server.Output);
        await Poll.UntilAsync(() => Task.FromResult(collector.Text("/v1/metrics")),
            t => t.Contains("grpcsync.runs.finished", StringComparison.Ordinal), _ => server.HasExited,
            "grpcsync.runs.finished at the collector", () => server.Output);
        var traces = collector.Text("/v1/traces");
        Assert.Contains(syncId, traces, StringComparison.Ordinal);
        Assert.Contains("rpc.method", traces, StringComparison.Ordinal); // the API calls' server spans
        Assert.DoesNotContain(environment.FilesRoot, traces, StringComparison.Ordinal); // the credential's secret is a path below it
        Assert.DoesNotContain("Bearer", traces, StringComparison.Ordinal);
    }

    /// <summary>An OTLP/HTTP receiver on a loopback port: keeps every request body by path, answers 200.</summary>
    private sealed class OtlpCollector : IDisposable
    {
        private readonly System.Net.HttpListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string Path, byte[] Body)> _received = new();

        public OtlpCollector()
        {
            var port = LoopbackPorts.OneFree();
            Endpoint = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Endpoint + "/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Endpoint { get; }

        /// <summary>Every body received on <paramref name="path"/>, decoded as UTF-8 (protobuf strings read as they are).</summary>
        public string Text(string path) => string.Concat(_received.Where(r => r.Path == path)
            .Select(r => System.Text.Encoding.UTF8.GetString(r.Body)));

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                System.Net.HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception) when (!_listener.IsListening)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                _received.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
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
