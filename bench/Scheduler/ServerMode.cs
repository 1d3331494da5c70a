using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GrpcSync.Engine;
using GrpcSync.Engine.Configuration;
using GrpcSync.Connectors;
using GrpcSync.Engine.Credentials;
using GrpcSync.Engine.Dispatching;
using GrpcSync.Storage;
using GrpcSync.Storage.Postgres;
using GrpcSync.Storage.Relational;
using GrpcSync.Storage.Sqlite;
using GrpcSync.Testing.Processes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GrpcSync.SchedulerBench;

/// <summary>
/// "The server": this process hosts the real engine (<c>AddGrpcSyncEngine</c>: <c>SyncEngine</c> + <c>RunWorker</c>)
/// on the real store, with the no-op connector, a pass-through secret reader and <see cref="TimeProvider.System"/>.
/// It starts the engine at the agreed moment t0 (the orchestrator planned the schedule around it), measures
/// its own CPU and RSS, and prints one <c>RESULT {json}</c> line. <c>EVENT</c> lines mark the measuring window
/// so the orchestrator can sample the database server and the machine at the same moments.
/// </summary>
internal static class ServerMode
{
    public static async Task<int> RunAsync(string[] args)
    {
        var a = Args.Parse(args);
        var store = a.Get("store");
        var connectionString = a.Get("cs");
        var phase = a.Get("phase");
        var t0 = a.GetLong("t0");
        var syncs = a.GetInt("syncs");
        var warmup = a.GetInt("warmup", 0);
        var window = a.GetInt("window");
        var maxSeconds = a.GetInt("max", window);
        var overdue = a.GetLong("overdue", 0);
        var logLevel = a.Get("log-level", "Warning");

        var (windowStart, windowEnd) = phase == "catchup"
            ? (t0, t0 + maxSeconds * 1000L)
            : (t0 + warmup * 1000L, t0 + (warmup + window) * 1000L);
        var recorder = new Recorder(syncs, t0, windowStart, windowEnd, overdue);

        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:GrpcSync"] = logLevel,
            ["GrpcSync:Engine:WorkerId"] = $"bench-{Environment.ProcessId}",
        };
        foreach (var (key, value) in a.All("set").Select(SplitSetting))
        {
            // A full key (GrpcSync:Connectors:noop:MaxRunsPerCredential=…) as it is; a short one is an engine setting.
            settings[key.StartsWith("GrpcSync:", StringComparison.Ordinal) ? key : $"{EngineOptions.SectionName}:{key}"] = value;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        // As the server reads it (Hosting/StoreRegistration): --set GrpcSync:Store:EventLog=false measures without the event log.
        var logEvents = !string.Equals(builder.Configuration["GrpcSync:Store:EventLog"], "false", StringComparison.OrdinalIgnoreCase);
        RelationalSyncStore inner = store switch
        {
            "sqlite" => new SqliteSyncStore(connectionString)
            {
                LogEvents = logEvents,
                WalAutocheckpointPages = int.TryParse(builder.Configuration["GrpcSync:Store:SqliteWalAutocheckpointPages"], out var pages)
                    ? pages : SqliteSyncStore.DefaultWalAutocheckpointPages,
                WriterCacheSizeKiB = int.TryParse(builder.Configuration["GrpcSync:Store:SqliteWriterCacheSizeKiB"], out var cache)
                    ? cache : SqliteSyncStore.DefaultWriterCacheSizeKiB,
            },
            "postgres" => new PostgresSyncStore(connectionString) { LogEvents = logEvents },
            _ => throw new ArgumentException($"unknown store '{store}'"),
        };
        var measuring = new MeasuringEngineStore(inner, recorder);
        builder.Services.AddSingleton<IEngineStore>(measuring);
        builder.Services.AddSingleton<IEventStore>(inner); // the engine replica's retention, relay and webhook loops
        builder.Services.AddSingleton<IRunHistoryStore>(inner); // run history retention
        builder.Services.AddSingleton<IWebhookDeliveryStore>(inner);
        builder.Services.AddSingleton<ICredentialSecrets, PassThroughSecrets>();
        builder.Services.AddSingleton<GrpcSync.Engine.Webhooks.IWebhookSecrets, PassThroughSecrets>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(recorder);
        builder.Services.AddSingleton<IConnector, NoopConnector>();
        builder.Services.AddGrpcSyncEngine(builder.Configuration);

        using var host = builder.Build();
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EngineOptions>>().Value;

        var lateMs = Now() - t0;
        if (lateMs < 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(-lateMs));
            lateMs = 0;
        }
        await host.StartAsync();
        Console.WriteLine($"EVENT started {Now()}");

        // ---- sample once a second until the phase ends ----
        var rss = new List<(long Ms, long Bytes)>();
        TimeSpan cpuAtStart = TimeSpan.Zero, cpuAtEnd = TimeSpan.Zero;
        long allocAtStart = 0, allocAtEnd = 0;
        long runsAtStart = 0, runsAtEnd = 0;
        (long Read, long Write) ioAtStart = default, ioAtEnd = default;
        long dbBytesAtStart = 0, dbBytesAtEnd = 0;
        long runRowsAtStart = 0, runRowsAtEnd = 0;
        var gcAtStart = (0, 0, 0);
        var gcAtEnd = (0, 0, 0);
        long windowStartedAt = 0, windowEndedAt = 0;
        var storeAtStart = StoreSnapshot(measuring);
        var storeAtEnd = storeAtStart;
        var windowOpen = false;
        long drainedAt = 0;
        while (true)
        {
            var now = Now();
            if (!windowOpen && windowStartedAt == 0 && now >= windowStart)
            {
                windowOpen = true;
                windowStartedAt = now;
                cpuAtStart = SelfCpu();
                allocAtStart = GC.GetTotalAllocatedBytes();
                runsAtStart = measuring.DispatchedRuns;
                gcAtStart = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                storeAtStart = StoreSnapshot(measuring);
                ioAtStart = ProcStats.Io();
                dbBytesAtStart = await DatabaseBytesAsync(store, connectionString);
                runRowsAtStart = await RunRowsAsync(store, connectionString);
                Console.WriteLine($"EVENT window-start {now}");
            }
            if (phase == "catchup" && drainedAt == 0 && recorder.OverdueDispatched >= recorder.OverdueTotal)
            {
                drainedAt = recorder.LastOverdueStartMs;
            }
            // Catch-up ends early once drained and the second minute after the restart (t0 + 60..120 s: the drained
            // Syncs' next runs, re-phased) has been seen, with 10 s for its last runs to start.
            var catchupDone = phase == "catchup" && drainedAt != 0 && now >= Math.Max(drainedAt + 20_000, t0 + 130_000);
            if (windowOpen && (now >= windowEnd || catchupDone))
            {
                windowOpen = false;
                windowEndedAt = now;
                cpuAtEnd = SelfCpu();
                allocAtEnd = GC.GetTotalAllocatedBytes();
                runsAtEnd = measuring.DispatchedRuns;
                gcAtEnd = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                storeAtEnd = StoreSnapshot(measuring);
                ioAtEnd = ProcStats.Io();
                dbBytesAtEnd = await DatabaseBytesAsync(store, connectionString);
                runRowsAtEnd = await RunRowsAsync(store, connectionString);
                Console.WriteLine($"EVENT window-end {now}");
                break;
            }
            if (windowOpen)
            {
                rss.Add((now, ProcStats.Rss()));
            }
            await Task.Delay(TimeSpan.FromMilliseconds(phase == "catchup" ? 250 : 1000));
        }
        var rssEnd = ProcStats.Rss();
        var gcInfo = GC.GetGCMemoryInfo();
        int threads;
        using (var self = Process.GetCurrentProcess())
        {
            threads = self.Threads.Count;
        }

        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await host.StopAsync(stopping.Token);
        }

        var seconds = (windowEndedAt - windowStartedAt) / 1000.0;
        var windowRuns = runsAtEnd - runsAtStart;
        var result = new Dictionary<string, object?>
        {
            ["phase"] = phase,
            ["store"] = store,
            ["syncs"] = syncs,
            ["lateStartMs"] = lateMs,
            ["engine"] = new Dictionary<string, object?>
            {
                ["MaxConcurrentRuns"] = options.MaxConcurrentRuns,
                ["DispatchBatch"] = options.DispatchBatch,
                ["PollIntervalMs"] = options.PollInterval.TotalMilliseconds,
                ["LeaseSeconds"] = options.Lease.TotalSeconds,
            },
            ["logLevel"] = logLevel,
            ["gc"] = GCSettingsDescription(),
            ["windowSeconds"] = seconds,
            ["windowStartMs"] = windowStartedAt,
            ["windowEndMs"] = windowEndedAt,
            ["dispatchedInWindow"] = windowRuns,
            ["scheduledStartedInWindow"] = recorder.WindowStarted,
            ["dispatchesPerSecond"] = seconds > 0 ? windowRuns / seconds : 0,
            ["cpuCores"] = seconds > 0 ? (cpuAtEnd - cpuAtStart).TotalSeconds / seconds : 0,
            ["rssAvgMB"] = rss.Count > 0 ? rss.Average(r => r.Bytes) / 1048576.0 : rssEnd / 1048576.0,
            ["rssMaxMB"] = rss.Count > 0 ? rss.Max(r => r.Bytes) / 1048576.0 : rssEnd / 1048576.0,
            ["rssEndMB"] = rssEnd / 1048576.0,
            ["gcHeapMB"] = gcInfo.HeapSizeBytes / 1048576.0,
            ["gcCommittedMB"] = gcInfo.TotalCommittedBytes / 1048576.0,
            ["gcCollections"] = new[] { gcAtEnd.Item1 - gcAtStart.Item1, gcAtEnd.Item2 - gcAtStart.Item2, gcAtEnd.Item3 - gcAtStart.Item3 },
            ["allocatedBytesPerRun"] = windowRuns > 0 ? (allocAtEnd - allocAtStart) / (double)windowRuns : 0,
            ["threads"] = threads,
            ["serverWriteMBps"] = seconds > 0 ? (ioAtEnd.Write - ioAtStart.Write) / 1048576.0 / seconds : 0,
            ["serverWriteBytesPerRun"] = windowRuns > 0 ? (ioAtEnd.Write - ioAtStart.Write) / (double)windowRuns : 0,
            ["dbGrowthBytesPerRun"] = windowRuns > 0 ? (dbBytesAtEnd - dbBytesAtStart) / (double)windowRuns : 0,
            ["dbBytesAtEnd"] = dbBytesAtEnd,
            // Run history rows added per run: 0 once no-change runs collapse into one entry per Sync (RunHistory).
            ["runRowsPerRun"] = windowRuns > 0 ? (runRowsAtEnd - runRowsAtStart) / (double)windowRuns : 0,
            ["runRowsAtEnd"] = runRowsAtEnd,
            ["lagClaimMs"] = recorder.ClaimLag(),
            ["lagCommitMs"] = recorder.CommitLag(),
            ["lagSourceMs"] = recorder.SourceLag(),
            ["storeCallsInWindow"] = StoreDelta(storeAtStart, storeAtEnd, windowRuns),
            ["scheduledStartedTotal"] = recorder.ScheduledStarted,
            ["otherStartedTotal"] = recorder.OtherStarted,
            ["sourceCallsTotal"] = recorder.SourceCalls,
            ["dispatchRoundsTotal"] = measuring.Dispatch.Calls,
            ["fullRoundsTotal"] = measuring.FullRounds,
            ["finishWritesTotal"] = measuring.Mutate.Calls,
        };
        if (phase == "catchup")
        {
            var drainEnd = drainedAt == 0 ? windowEndedAt : drainedAt;
            result["overdueTotal"] = recorder.OverdueTotal;
            result["overdueDispatched"] = recorder.OverdueDispatched;
            result["drained"] = drainedAt != 0;
            result["drainSeconds"] = (drainEnd - t0) / 1000.0;
            result["drainRatePerSecond"] = recorder.OverdueDispatched / Math.Max(0.001, (drainEnd - t0) / 1000.0);
            result["onTimeDuringDrainClaimMs"] = recorder.OnTimeClaimLag(t0, drainEnd);
            result["onTimeAfterDrainClaimMs"] = recorder.OnTimeClaimLag(drainEnd, windowEndedAt);
            result["onTimeDuringDrainSourceMs"] = recorder.OnTimeSourceLag(t0, drainEnd);
            result["onTimeAfterDrainSourceMs"] = recorder.OnTimeSourceLag(drainEnd, windowEndedAt);
            var perSecond = recorder.StartedPerSecond;
            result["secondMinuteClaimMs"] = recorder.SecondMinuteClaimLag();
            result["secondMinuteDuePer10s"] = recorder.SecondMinuteDuePer10s();
            result["startedPerSecond"] = perSecond.Take((int)Math.Ceiling((windowEndedAt - t0) / 1000.0)).ToArray();
        }
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result, Json.Options));
        return 0;
    }

    /// <summary>Size of the database: SQLite file + WAL; PostgreSQL pg_database_size (0 when unreadable).</summary>
    private static async Task<long> DatabaseBytesAsync(string store, string connectionString)
    {
        try
        {
            if (store == "sqlite")
            {
                var path = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource;
                return new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);
            }
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
            return (long)(await command.ExecuteScalarAsync() ?? 0L);
        }
        catch (Exception e) when (e is IOException or Npgsql.NpgsqlException)
        {
            return 0;
        }
    }

    /// <summary>Rows of <c>sync_runs</c> (the run history), read beside the engine (0 when unreadable).</summary>
    private static async Task<long> RunRowsAsync(string store, string connectionString)
    {
        try
        {
            if (store == "sqlite")
            {
                await using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
                await sqlite.OpenAsync();
                await using var count = sqlite.CreateCommand();
                count.CommandText = "SELECT COUNT(*) FROM sync_runs";
                return Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            }
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT COUNT(*) FROM sync_runs", connection);
            return (long)(await command.ExecuteScalarAsync() ?? 0L);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
        {
            return 0;
        }
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>This process's CPU time (user + system), all threads.</summary>
    private static TimeSpan SelfCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>A <c>Key=Value</c> setting of a repeatable option (--set, --pg-set); anything else is refused.</summary>
    internal static (string Key, string Value) SplitSetting(string setting)
    {
        var eq = setting.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new ArgumentException($"a setting is Key=Value, got '{setting}'");
        }
        return (setting[..eq], setting[(eq + 1)..]);
    }

    private static string GCSettingsDescription() =>
        (System.Runtime.GCSettings.IsServerGC ? "server" : "workstation") +
        (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Batch ? "" : ", concurrent") +
        $", {Environment.ProcessorCount} cpus";

    private static Dictionary<string, (long Calls, double TotalMs)> StoreSnapshot(MeasuringEngineStore s) => new()
    {
        ["DispatchAsync"] = s.Dispatch.Snapshot(),
        ["GetCredentialAsync"] = s.GetCredential.Snapshot(),
        ["GetCredentialsAsync(round)"] = s.GetCredentials.Snapshot(),
        ["MutateSyncAsync(Finish)"] = s.Mutate.Snapshot(),
        ["RenewLeaseAsync"] = s.Renew.Snapshot(),
        ["GetSyncAsync"] = s.GetSync.Snapshot(),
        ["MutateSyncsAsync(Finish batch)"] = s.MutateBatch.Snapshot(),
        ["WriteRecordPageAsync"] = s.WritePage.Snapshot(),
    };

    private static Dictionary<string, object> StoreDelta(Dictionary<string, (long Calls, double TotalMs)> before,
        Dictionary<string, (long Calls, double TotalMs)> after, long runs)
    {
        var delta = new Dictionary<string, object>();
        foreach (var (name, (calls, ms)) in after)
        {
            var c = calls - before[name].Calls;
            var t = ms - before[name].TotalMs;
            delta[name] = new Dictionary<string, double>
            {
                ["calls"] = c,
                ["callsPerRun"] = runs > 0 ? c / (double)runs : 0,
                ["avgMs"] = c > 0 ? t / c : 0,
            };
        }
        return delta;
    }
}

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        IncludeFields = true,
    };
}

/// <summary>--name value arguments (a name may repeat).</summary>
internal sealed class Args
{
    private readonly List<(string Name, string Value)> _values = [];
    private readonly HashSet<string> _flags = [];

    public static Args Parse(string[] args, params string[] flags)
    {
        var parsed = new Args();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }
            var name = args[i][2..];
            if (flags.Contains(name))
            {
                parsed._flags.Add(name);
                continue;
            }
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"--{name} needs a value");
            }
            parsed._values.Add((name, args[++i]));
        }
        return parsed;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public bool Has(string name) => _values.Any(v => v.Name == name);

    public string Get(string name) =>
        _values.LastOrDefault(v => v.Name == name).Value ?? throw new ArgumentException($"--{name} is required");

    public string Get(string name, string fallback) => _values.LastOrDefault(v => v.Name == name).Value ?? fallback;

    public int GetInt(string name) => int.Parse(Get(name), CultureInfo.InvariantCulture);

    public int GetInt(string name, int fallback) => Has(name) ? GetInt(name) : fallback;

    public long GetLong(string name) => long.Parse(Get(name), CultureInfo.InvariantCulture);

    public long GetLong(string name, long fallback) => Has(name) ? GetLong(name) : fallback;

    public IEnumerable<string> All(string name) => _values.Where(v => v.Name == name).Select(v => v.Value);
}
