using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcSync.Testing.Processes;

namespace GrpcSync.SchedulerBench;

/// <summary>Seeds, plans each phase, runs the server per phase, samples the database and the machine, reports.</summary>
internal static class Orchestrator
{
    public const string Usage = """
        usage: GrpcSync.SchedulerBench [--stores sqlite,postgres] [--phases idle,steady,catchup] [--syncs 100000]
                 [--profile tuned|default] [--set EngineKey=Value ...] [--log-level Warning|Information]
                 [--warmup 10] [--window 100] [--idle 20] [--catchup-max 150]
                 [--pg-synchronous-commit on|off] [--label NAME] [--out DIR] [--work DIR] [--keep]
                 [--template-cache DIR] [--prime] [--prime-max 1200] [--prime-set Key=Value]
                 [--schedule-order slots|spread|stored] [--pg-set Key=Value]
        """;

    /// <summary>
    /// Engine settings of the "tuned" profile (configuration only): the settings the scheduler needed before a
    /// full dispatch round was followed at once by the next. The default profile is the engine's shipped defaults.
    /// </summary>
    public static readonly string[] TunedProfile = ["MaxConcurrentRuns=1000", "DispatchBatch=500", "PollInterval=00:00:00.100"];

    public static async Task<int> RunAsync(string[] argv)
    {
        var a = Args.Parse(argv, "keep", "prime");
        var stores = a.Get("stores", "sqlite,postgres").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var phases = a.Get("phases", "idle,steady,catchup").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var syncs = a.GetInt("syncs", 100_000);
        var profile = a.Get("profile", "default");
        var settings = (profile switch
        {
            "tuned" => TunedProfile,
            "default" => [],
            _ => throw new ArgumentException($"unknown profile '{profile}'"),
        }).Concat(a.All("set")).ToList();
        var logLevel = a.Get("log-level", "Warning");
        var warmup = a.GetInt("warmup", 10);
        var window = a.GetInt("window", 100);
        var idle = a.GetInt("idle", 20);
        var catchupMax = a.GetInt("catchup-max", 150);
        var pgSync = a.Get("pg-synchronous-commit", "on");
        var pgOptions = a.Get("pg-connection-options", "");
        var pgSettings = a.All("pg-set").Select(ServerMode.SplitSetting).ToDictionary(kv => kv.Key, kv => kv.Value);
        var label = a.Get("label", "latest");
        var outDir = a.Get("out", Path.Combine(ProjectDirectory(), "results"));
        var templateCache = a.Has("template-cache") ? a.Get("template-cache") : null;
        // Prime: before the phases, every Sync runs once on the template (a catch-up run to its end), so the phases start
        // from the state a long-running server is in (each Sync's history entry begun, its row as runs leave it).
        var prime = a.Flag("prime");
        var primeMax = a.GetInt("prime-max", 1200);
        // Settings for the priming run only (after --set), e.g. a writer cache that holds the whole database: the state it
        // leaves is the same, it only gets there sooner.
        var primeSettings = settings.Concat(a.All("prime-set")).ToList();
        var work = a.Has("work") ? a.Get("work") : Directory.CreateTempSubdirectory("grpcsync-sched.").FullName;
        Directory.CreateDirectory(work);
        foreach (var phase in phases)
        {
            if (phase is not ("idle" or "steady" or "catchup"))
            {
                throw new ArgumentException($"unknown phase '{phase}'");
            }
        }

        var started = Stopwatch.StartNew();
        Log($"scheduler bench: {syncs:N0} Syncs, stores {string.Join(',', stores)}, phases {string.Join(',', phases)}, " +
            $"profile {profile} [{string.Join(' ', settings)}], engine log level {logLevel}; scratch {work}");
        var rows = new List<JsonObject>();
        var failures = 0;
        try
        {
            foreach (var store in stores)
            {
                await using BenchDatabase db = store switch
                {
                    "sqlite" => new SqliteBenchDatabase(work),
                    "postgres" => new PostgresBenchDatabase(await StartPostgresAsync(work, pgSync, pgSettings), pgOptions),
                    _ => throw new ArgumentException($"unknown store '{store}'"),
                };
                TimeSpan seedTime;
                if (templateCache is not null && db.TryRestoreTemplate(templateCache, syncs))
                {
                    seedTime = TimeSpan.Zero;
                    await db.MigrateTemplateAsync();
                    Log($"[{store}] template of {syncs:N0} Syncs restored from {templateCache} (not seeded again, migrated)");
                }
                else
                {
                    Log($"[{store}] seeding {syncs:N0} Syncs through the store API …");
                    seedTime = await db.SeedAsync(syncs, store == "sqlite" ? 4 : 16, Log);
                    Log($"[{store}] seeded in {seedTime.TotalSeconds:0.0} s ({syncs / seedTime.TotalSeconds:N0} Syncs/s)");
                    if (templateCache is not null)
                    {
                        db.SaveTemplate(templateCache, syncs);
                    }
                }
                // slots (default): every Sync on its own slot of the grid, as a running server has them; spread: one credential's
                // Syncs a tenth of the minute apart, in no relation to their place in the file; stored: Sync i is due i-th,
                // so Syncs due together lie side by side in the file whatever the layout.
                db.Order = a.Get("schedule-order", "slots") switch
                {
                    "slots" => ScheduleOrder.Slots,
                    "spread" => ScheduleOrder.Spread,
                    "stored" => ScheduleOrder.Stored,
                    var other => throw new ArgumentException($"--schedule-order is slots, spread or stored, not '{other}'"),
                };
                if (prime)
                {
                    await PrimeAsync(db, syncs, primeSettings, logLevel, primeMax, work, templateCache);
                }
                foreach (var phase in phases)
                {
                    var row = await RunPhaseAsync(db, phase, syncs, settings, logLevel, warmup, window, idle, catchupMax, work);
                    row["seedSeconds"] = seedTime.TotalSeconds;
                    if (db is PostgresBenchDatabase)
                    {
                        row["pgSynchronousCommit"] = pgSync;
                        row["pgConnectionOptions"] = pgOptions;
                    }
                    rows.Add(row);
                    if (row["error"] is not null)
                    {
                        failures++;
                    }
                    Log(Line(row));
                }
            }
        }
        finally
        {
            if (!a.Flag("keep"))
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }

        var report = Report.Markdown(rows, profile, settings, logLevel, started.Elapsed);
        Console.WriteLine();
        Console.WriteLine(report);
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, label + ".md"), report);
        await File.WriteAllTextAsync(Path.Combine(outDir, label + ".json"),
            new JsonArray(rows.Select(r => (JsonNode)r).ToArray()).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (label != "smoke") // a quick check of the harness is not a result (as bench/run.sh --smoke)
        {
            await AppendHistoryAsync(outDir, label, rows);
        }
        Log($"wrote {Path.Combine(outDir, label)}.{{md,json}}; total {started.Elapsed.TotalSeconds:0} s");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// One line per bench run in <c>history.jsonl</c> beside the result files (date, label, git revision, the headline
    /// figures of each phase), so the folder keeps <c>latest</c> and a short history instead of a file per run.
    /// </summary>
    private static async Task AppendHistoryAsync(string outDir, string label, List<JsonObject> rows)
    {
        string[] headline = ["store", "phase", "syncs", "engine", "dispatchesPerSecond", "cpuCores", "rssMaxMB", "serverWriteBytesPerRun",
            "dbGrowthBytesPerRun", "runRowsPerRun", "lagClaimMs", "machineBusyCores", "loadAvg1Start", "loadAvg1End", "drained", "drainSeconds",
            "drainRatePerSecond", "error"];
        var phases = new JsonArray(rows.Select(r =>
        {
            var o = new JsonObject();
            foreach (var key in headline)
            {
                if (r[key] is { } value)
                {
                    o[key] = value.DeepClone();
                }
            }
            return (JsonNode)o;
        }).ToArray());
        var line = new JsonObject
        {
            ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture),
            ["label"] = label,
            ["gitRev"] = await GitRevisionAsync(),
            ["file"] = $"{label}.{{md,json}}",
            ["phases"] = phases,
        };
        await File.AppendAllTextAsync(Path.Combine(outDir, "history.jsonl"), line.ToJsonString() + "\n");
    }

    private static async Task<string> GitRevisionAsync()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = ProjectDirectory(),
            })!;
            var rev = (await git.StandardOutput.ReadToEndAsync()).Trim();
            await git.WaitForExitAsync();
            return git.ExitCode == 0 && rev.Length > 0 ? rev : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown"; // no git on the machine
        }
    }

    /// <summary>
    /// <c>--prime</c>: a catch-up run on a copy of the template until it drained (at most <paramref name="primeMax"/> s),
    /// then that copy is the template; kept in the template cache as the "-primed-vN" variant (N: the schema version).
    /// </summary>
    /// <summary>The frequency the prime runs the Syncs on (<see cref="BenchDatabase.SetFrequencyAsync"/> says why).</summary>
    private const string PrimeFrequency = "24h";

    private static async Task PrimeAsync(BenchDatabase db, int syncs, List<string> settings, string logLevel, int primeMax,
        string work, string? templateCache)
    {
        // Primed under one schema version: another version's engine leaves another state (and may not know the schema).
        var variant = "-primed-v" + (await db.SchemaVersionAsync()).ToString(CultureInfo.InvariantCulture);
        if (templateCache is not null && db.TryRestoreTemplate(templateCache, syncs, variant))
        {
            await db.MigrateTemplateAsync();
            Log($"[{db.Store}] primed template restored from {templateCache}");
            return;
        }
        Log($"[{db.Store}] priming: every Sync runs once on the template (catch-up on {PrimeFrequency}, at most {primeMax} s) …");
        await db.SetFrequencyAsync(PrimeFrequency);
        JsonObject row;
        try
        {
            row = await RunPhaseAsync(db, "catchup", syncs, settings, logLevel, 0, 0, 0, primeMax, work, promote: true);
        }
        finally
        {
            await db.SetFrequencyAsync(null); // back to the seeded default (the phases plan next_run_at anew)
        }
        Log($"[{db.Store}] primed: drained {row["drained"]} in {row["drainSeconds"]} s");
        if (row["error"] is not null || row["drained"]?.GetValue<bool>() != true)
        {
            throw new InvalidOperationException($"priming did not drain within {primeMax} s: {row["error"]}");
        }
        if (templateCache is not null)
        {
            db.SaveTemplate(templateCache, syncs, variant);
        }
    }

    private static async Task<JsonObject> RunPhaseAsync(BenchDatabase db, string phase, int syncs, List<string> settings,
        string logLevel, int warmup, int window, int idle, int catchupMax, string work, bool promote = false)
    {
        var name = $"phase_{phase}";
        var cs = await db.CopyAsync(name);
        var promoted = false;
        try
        {
            // Time to plan the schedule and flush the copy before the first Syncs come due (60 s at 1,000,000: the grid
            // schedule is one UPDATE per Sync).
            var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 10_000 + syncs / 20;
            var (from, span) = phase switch
            {
                "idle" => (t0 + 86_400_000L, 60_000L),  // all Syncs due tomorrow: only polling
                "steady" => (t0, 60_000L),              // due uniformly over the first minute after the start
                _ => (t0 - 600_000L, 660_000L),          // catch-up: 10 minutes overdue + the first minute after the restart
            };
            var scheduleTime = await db.ScheduleAsync(cs, from, span, syncs);
            var (phaseWarmup, phaseWindow, max) = phase switch
            {
                "idle" => (5, idle, idle),
                "steady" => (warmup, window, window),
                _ => (0, catchupMax, catchupMax),
            };
            var serverArgs = new List<string>
            {
                "server", "--store", db.Store, "--cs", cs, "--phase", phase, "--t0", Str(t0), "--syncs", Str(syncs),
                "--warmup", Str(phaseWarmup), "--window", Str(phaseWindow), "--max", Str(max), "--log-level", logLevel,
                "--overdue", Str(phase == "catchup" ? OverdueOf(syncs) : 0),
            };
            foreach (var setting in settings)
            {
                serverArgs.Add("--set");
                serverArgs.Add(setting);
            }
            Log($"[{db.Store}] {phase}: schedule planned in {scheduleTime.TotalSeconds:0.0} s; server starts at t0 " +
                $"(+{(t0 - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) / 1000.0:0.0} s), measuring {(phase == "catchup" ? $"up to {max}" : $"{phaseWarmup} + {phaseWindow}")} s");
            var row = await RunServerAsync(serverArgs, db, Path.Combine(work, $"{db.Store}-{phase}.log"));
            row["scheduleSeconds"] = scheduleTime.TotalSeconds;
            if (phase == "catchup" && row["windowEndMs"] is { } endNode)
            {
                // On-time Syncs (due at or after the restart) that came due before the window ended, and how many of them started.
                var end = endNode.GetValue<long>();
                row["onTimeDue"] = Enumerable.Range(0, syncs).LongCount(i => from + (long)i * span / syncs is var due && due >= t0 && due < end - 1000);
                row["onTimeStarted"] = (row["onTimeDuringDrainClaimMs"]?["Count"]?.GetValue<long>() ?? 0)
                                       + (row["onTimeAfterDrainClaimMs"]?["Count"]?.GetValue<long>() ?? 0);
            }
            if (promote && row["error"] is null)
            {
                await db.PromoteAsync(name);
                promoted = true;
            }
            return row;
        }
        finally
        {
            if (!promoted)
            {
                await db.DropAsync(name);
            }
        }
    }

    /// <summary>
    /// PostgreSQL defaults (fsync=on) unless --pg-synchronous-commit says otherwise; 300 connections for the engine's pool;
    /// then the --pg-set settings (e.g. <c>shared_preload_libraries=pg_stat_statements</c> to see where its time goes).
    /// </summary>
    private static Task<ThrowawayPostgres> StartPostgresAsync(string work, string synchronousCommit, Dictionary<string, string> extra)
    {
        var settings = new Dictionary<string, string> { ["max_connections"] = "300", ["synchronous_commit"] = synchronousCommit };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return ThrowawayPostgres.StartAsync(new ThrowawayPostgresOptions { Directory = Path.Combine(work, "pg"), Settings = settings });
    }

    private static async Task<JsonObject> RunServerAsync(List<string> serverArgs, BenchDatabase db, string logPath)
    {
        // This program again, in server mode: `dotnet GrpcSync.SchedulerBench.dll server …`, or its apphost.
        var host = Environment.ProcessPath ?? "dotnet";
        List<string> arguments = Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? [typeof(Orchestrator).Assembly.Location, .. serverArgs]
            : serverArgs;
        var pg = (db as PostgresBenchDatabase)?.Server;
        WindowMark? start = null, end = null;
        string? resultJson = null;
        var warnings = 0;
        var errors = 0;
        int exitCode;

        await using var logFile = new StreamWriter(logPath);
        await using (var server = ChildProcess.Start(new ChildProcessOptions
        {
            FileName = host,
            Arguments = arguments,
            // The server announces its measured window on stdout; the database and the machine are sampled right then.
            OnOutput = line =>
            {
                if (line.StartsWith("EVENT window-start", StringComparison.Ordinal))
                {
                    start = WindowMark.Take(pg, line);
                }
                else if (line.StartsWith("EVENT window-end", StringComparison.Ordinal))
                {
                    end = WindowMark.Take(pg, line);
                }
                else if (line.StartsWith("RESULT ", StringComparison.Ordinal))
                {
                    resultJson = line[7..];
                }
                else
                {
                    lock (logFile) logFile.WriteLine("stdout: " + line);
                }
            },
            OnError = line =>
            {
                if (line.StartsWith("warn:", StringComparison.Ordinal)) Interlocked.Increment(ref warnings);
                if (line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal)
                    || line.StartsWith("Unhandled", StringComparison.Ordinal)) Interlocked.Increment(ref errors);
                lock (logFile) logFile.WriteLine(line);
            },
        }))
        {
            await server.WaitForExitAsync(); // and for its last line of output
            exitCode = server.ExitCode;
        }

        var row = resultJson is null ? new JsonObject() : JsonNode.Parse(resultJson)!.AsObject();
        var (first, last) = (start ?? WindowMark.None, end ?? WindowMark.None);
        var seconds = (last.AtMs - first.AtMs) / 1000.0;
        if (first.DbCpuSeconds is { } a0 && last.DbCpuSeconds is { } a1 && seconds > 0)
        {
            row["dbCpuCores"] = (a1 - a0) / seconds;
            row["dbWriteMBps"] = (last.DbWriteBytes - first.DbWriteBytes) / 1048576.0 / seconds;
        }
        if (last.Machine.Total > first.Machine.Total)
        {
            row["machineBusyCores"] = ProcStats.BusyCores(first.Machine, last.Machine);
        }
        row["loadAvg1Start"] = first.LoadAverage;
        row["loadAvg1End"] = last.LoadAverage;
        row["serverWarnings"] = warnings;
        row["serverErrors"] = errors;
        if (resultJson is null || exitCode != 0)
        {
            row["error"] = $"server exited with {exitCode}; see its log (kept with --keep): {logPath}";
            row["phase"] ??= serverArgs[serverArgs.IndexOf("--phase") + 1];
            row["store"] ??= db.Store;
        }
        return row;
    }

    /// <summary>The database's CPU and writes, the machine's jiffies and load at one edge of the measured window.</summary>
    private sealed record WindowMark(long AtMs, double? DbCpuSeconds, long DbWriteBytes, (long Busy, long Total) Machine, double LoadAverage)
    {
        public static readonly WindowMark None = new(0, null, 0, default, 0);

        /// <summary>Samples now; <paramref name="eventLine"/> is "EVENT window-start|window-end &lt;unix ms&gt;".</summary>
        public static WindowMark Take(ThrowawayPostgres? pg, string eventLine) => new(
            long.Parse(eventLine.Split(' ')[2], CultureInfo.InvariantCulture),
            pg is null ? null : ProcStats.TreeCpuSeconds(pg.PostmasterPid),
            pg is null ? 0 : ProcStats.TreeWriteBytes(pg.PostmasterPid),
            ProcStats.MachineJiffies(),
            ProcStats.LoadAverage1() ?? 0);
    }

    private static string Line(JsonObject r)
    {
        if (r["error"] is { } error)
        {
            return $"  ERROR: {error}";
        }
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"  {r["store"]} {r["phase"]}: {D(r, "dispatchesPerSecond"):0} dispatches/s, ");
        sb.Append(CultureInfo.InvariantCulture, $"claim lag p50/p99/max {L(r["lagClaimMs"])} ms, source lag {L(r["lagSourceMs"])} ms, ");
        sb.Append(CultureInfo.InvariantCulture, $"server CPU {D(r, "cpuCores"):0.00} cores");
        if (r["dbCpuCores"] is not null) sb.Append(CultureInfo.InvariantCulture, $", db CPU {D(r, "dbCpuCores"):0.00}");
        sb.Append(CultureInfo.InvariantCulture, $", RSS max {D(r, "rssMaxMB"):0} MB, load {D(r, "loadAvg1End"):0.0}");
        if (r["drainSeconds"] is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $", drained {r["drained"]} in {D(r, "drainSeconds"):0.0} s ({D(r, "drainRatePerSecond"):0}/s)");
        }
        sb.Append(CultureInfo.InvariantCulture, $", warn/err lines {r["serverWarnings"]}/{r["serverErrors"]}");
        return sb.ToString();
    }

    internal static double D(JsonObject r, string key) => r[key]?.GetValue<double>() ?? double.NaN;

    internal static string L(JsonNode? summary) =>
        summary is null || summary["Count"]?.GetValue<long>() == 0
            ? "–"
            : string.Create(CultureInfo.InvariantCulture,
                $"{summary["P50"]!.GetValue<double>():0}/{summary["P99"]!.GetValue<double>():0}/{summary["Max"]!.GetValue<double>():0}");

    /// <summary>Catch-up: Sync i is due at t0 − 600 s + i·660 s/N, so those with i·660/N &lt; 600 are overdue at t0.</summary>
    internal static long OverdueOf(int syncs) =>
        Enumerable.Range(0, syncs).LongCount(i => (long)i * 660_000L / syncs < 600_000L);

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Log(string message) =>
        Console.WriteLine($"{DateTime.Now:HH:mm:ss} {message}");

    /// <summary>bench/Scheduler (the directory holding the .csproj), from the build output directory.</summary>
    private static string ProjectDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GrpcSync.SchedulerBench.csproj")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
