using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using GrpcSync.Domain;
using GrpcSync.Storage;
using GrpcSync.Storage.Postgres;
using GrpcSync.Storage.Sqlite;
using GrpcSync.Testing.Processes;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace GrpcSync.Bench;

/// <summary>
/// The whole bench, in order: GrpcSync on SQLite (figures 1 and 2), the hand-written baseline on the same
/// database file (figure 3), the in-process store loops on a copy of it (figure 4), and with --postgres
/// figure 1 again on a throwaway PostgreSQL (figure 6). Figure 5 is not measured yet.
/// </summary>
public sealed partial class BenchRun(Plan plan)
{
    private const string FixedBody = """{"incrementalAccumulatorFrequency":"5m"}""";
    private static readonly string[] AlternatingBodies =
        ["""{"incrementalAccumulatorFrequency":"5m"}""", """{"incrementalAccumulatorFrequency":"10m"}"""];
    private const string SqliteStore = "SQLite (WAL, synchronous=NORMAL)";
    private const string PostgresStore = "PostgreSQL (fsync=on, synchronous_commit=on)";

    private readonly List<Figure> _figures = [];
    private readonly List<Check> _checks = [];
    private readonly string _serverDll = Path.Combine(plan.RepoRoot, "src/GrpcSync.Server/bin/Release/net10.0/GrpcSync.Server.dll");
    private readonly string _baselineDll = Path.Combine(plan.RepoRoot, "bench/Baseline/bin/Release/net10.0/GrpcSync.Bench.Baseline.dll");
    private ThrowawayPostgres? _postgres;
    private string? _postgresVersion;
    private int _measuredPid; // the server process whose CPU the figures report
    private string _loadAtStart = "";
    private int _round = 1; // the round (1 … plan.Repeat) the figures being measured belong to
    private readonly CancellationTokenSource _stopping = new();

    public async Task<int> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        _loadAtStart = LoadAverage();
        foreach (var dll in new[] { _serverDll, _baselineDll })
        {
            if (!File.Exists(dll))
            {
                throw new BenchException($"{dll} is missing: build it first (bench/run.sh builds Release).");
            }
        }
        using var key = new BenchKey();
        var publicKey = key.WritePublicKey(Path.Combine(plan.WorkDirectory, "bench-public.pem"));
        var files = Directory.CreateDirectory(Path.Combine(plan.WorkDirectory, "files")).FullName;
        Directory.CreateDirectory(Path.Combine(files, "account"));
        if (plan.Serve)
        {
            return await ServeAsync(key, publicKey, files);
        }
        Log(plan.EventsOnly
            ? $"bench ({plan.Mode}): figure 7 only, {plan.EventUsers} users × {plan.EventSyncsPerUser} Syncs, {plan.EventBurst} changes saturated, " +
              $"{plan.Duration.TotalSeconds:0.#} s paced phases; work dir {plan.WorkDirectory}"
            : $"bench ({plan.Mode}): {plan.Users} users × {plan.SyncsPerUser} Syncs, concurrency {plan.Concurrency}, " +
              $"{plan.Warmup.TotalSeconds:0.#} s warm-up + {plan.Duration.TotalSeconds:0.#} s per figure, {plan.Repeat} round(s){(plan.ApiOnly ? ", figures 1 to 3 (and 6) only" : "")}; work dir {plan.WorkDirectory}");
        if (!plan.EventsOnly)
        {
            await ApiAndStoreFiguresAsync(key, publicKey, files);
        }

        // ---- Figure 7: events (webhook deliveries, event streams) on a server with the engine on; one round ----
        if (!plan.ApiOnly)
        {
            _round = 1;
            await EventFiguresAsync(key, publicKey, files, SqliteStore, "", postgresConnection: null);
        }

        // ---- Figure 6: figure 1 on PostgreSQL ----
        if (plan.Postgres)
        {
            await PostgresFiguresAsync(key, publicKey, files);
        }

        var ratios = Ratios();
        var settings = Settings();
        var seconds = clock.Elapsed.TotalSeconds;
        Report.Write(plan, _figures, ratios, _checks, settings, seconds, _postgresVersion);
        if (!plan.Smoke)
        {
            History.Append(plan, _figures, ratios, _loadAtStart, LoadAverage());
        }
        Console.WriteLine();
        Console.WriteLine(Report.Table(_figures, plan.Repeat));
        Console.WriteLine(Report.RatioTable(ratios));
        foreach (var line in Report.NotMeasured)
        {
            Console.WriteLine(line);
        }
        var problems = _figures.Where(f => !f.Ok).Select(f => $"{f.Section} {f.Name} ({f.Server}): {string.Join("; ", f.Problems)}")
            .Concat(_checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}")).ToList();
        Console.WriteLine($"\nresults: {Path.Combine(plan.ResultsDirectory, plan.ResultsName + ".{json,md}")}; bench took {seconds:0} s");
        var disturbed = _figures.Count(f => f.Disturbed);
        if (disturbed > 0)
        {
            Console.WriteLine($"warning: {disturbed} of {_figures.Count} figures were disturbed by other work on the machine (⚠ in the table); " +
                              "rerun on a quiet machine before trusting their ratios.");
        }
        if (problems.Count > 0)
        {
            Console.Error.WriteLine($"\nbench FAILED ({problems.Count} problems):\n  " + string.Join("\n  ", problems));
            return 1;
        }
        Console.WriteLine($"bench OK: {_figures.Count} figures, every one with non-zero throughput and no failed request; {_checks.Count} checks passed.");
        return 0;
    }

    /// <summary>
    /// Figures 1 to 4, <see cref="Plan.Repeat"/> rounds of them: the API on SQLite, the baseline, the server at Full
    /// durability and without the event log, the in-process store loops. Seeded once; each round restarts the servers
    /// on the same database file, so round n of every figure runs between round n of the others (drift hits both
    /// sides of a ratio).
    /// </summary>
    private async Task ApiAndStoreFiguresAsync(BenchKey key, string publicKey, string files)
    {
        var sqliteData = Directory.CreateDirectory(Path.Combine(plan.WorkDirectory, "sqlite")).FullName;
        var database = Path.Combine(sqliteData, "grpcsync.db");
        SeedData? seeded = null;
        for (_round = 1; _round <= plan.Repeat; _round++)
        {
            if (plan.Repeat > 1)
            {
                Log($"-- round {_round} of {plan.Repeat}");
            }
            // ---- GrpcSync on SQLite: figures 1 and 2 ----
            SeedData seed;
            string grpcSyncGet, grpcSyncPatch;
            await using (var server = await StartServerAsync($"grpcsync-sqlite-r{_round}", sqliteData, publicKey, files, postgresConnection: null))
            {
                seed = seeded ??= await SeedAsync(server, key, files);
                await ApiFiguresAsync(server, seed, SqliteStore, "", () => SqliteVersions(database), withHealth: true);
                // Samples the baseline must answer identically.
                var hot = seed.HotSet(1)[0];
                grpcSyncGet = (await Probe.RestAsync(HttpMethod.Get, $"{server.RestUrl}/api/syncs/{hot.Id}", null, hot.Owner.Bearer, false)).Body;
                grpcSyncPatch = (await Probe.RestAsync(HttpMethod.Patch, $"{server.RestUrl}/api/syncs/{hot.Id}", FixedBody, hot.Owner.Bearer, false)).Body;
                await server.Process.StopAsync();
            }
            // ---- Figure 3: the hand-written baseline on the same database file ----
            await BaselineFiguresAsync(seed, database, publicKey, grpcSyncGet, grpcSyncPatch);
            if (plan.ApiOnly)
            {
                continue;
            }

            // ---- Figure 4 at the other durability: the server with GrpcSync:Store:SqliteDurability=Full ----
            // (after the baseline, which compares its answers with the state the figures above left)
            await using (var server = await StartServerAsync($"grpcsync-sqlite-full-r{_round}", sqliteData, publicKey, files, postgresConnection: null,
                extraEnvironment: new Dictionary<string, string> { ["GrpcSync__Store__SqliteDurability"] = "Full" }))
            {
                await FullDurabilityFigureAsync(server, seed, () => SqliteVersions(database));
                await server.Process.StopAsync();
            }

            // ---- Figure 4, the outbox's cost at the API: the write figure on a server that logs no events ----
            await using (var server = await StartServerAsync($"grpcsync-sqlite-nolog-r{_round}", sqliteData, publicKey, files, postgresConnection: null,
                extraEnvironment: new Dictionary<string, string> { ["GrpcSync__Store__EventLog"] = "false" }))
            {
                await EventLogOffFigureAsync(server, seed, () => SqliteVersions(database));
                await server.Process.StopAsync();
            }

            // ---- Figure 4: the store in-process, on a copy of the database ----
            await StoreFiguresAsync(seed, database);
        }
        _round = 1;
    }

    /// <summary>Stops anything still running (exit handler).</summary>
    public void Abort()
    {
        _stopping.Cancel();
        LoggedChild.KillAll();
        _postgres?.StopNow();
    }

    /// <summary>--serve: GrpcSync on the seeded SQLite data set, the commands to load it, and wait (profiling).</summary>
    private async Task<int> ServeAsync(BenchKey key, string publicKey, string files)
    {
        var data = Directory.CreateDirectory(Path.Combine(plan.WorkDirectory, "sqlite")).FullName;
        await using var server = await StartServerAsync("grpcsync-sqlite", data, publicKey, files, postgresConnection: null);
        var seed = await SeedAsync(server, key, files);
        var hot = seed.HotSet(1)[0];
        var bodies = Directory.CreateDirectory(Path.Combine(plan.WorkDirectory, "bodies")).FullName;
        var update = WriteBody(bodies, "update-0.bin", GrpcBodies.UpdateSync(hot.Id, "5m"));
        var get = WriteBody(bodies, "get-0.bin", GrpcBodies.GetSync(hot.Id));
        var patchScript = Wrk.WriteScript(Script("rest-patch"), "PATCH", Targets([hot]), [FixedBody]);
        var getScript = Wrk.WriteScript(Script("rest-get"), "GET", Targets([hot]), null);
        var grpc = $"-H 'content-type: application/grpc' -H 'te: trailers' -H \"authorization: Bearer $TOKEN\"";
        Console.WriteLine($"""

            GrpcSync runs (pid {server.Process.Pid}) on {seed.Syncs.Count} seeded Syncs; Ctrl+C stops it and removes {plan.WorkDirectory}.
              export TOKEN={hot.Owner.Token}
              # native gRPC UpdateSync / GetSync on one Sync ({hot.Id}):
              h2load -t1 -c4 -m8 -D 30 {grpc} -d {update} {server.GrpcUrl}/grpcsync.v1.SyncService/UpdateSync
              h2load -t1 -c4 -m8 -D 30 {grpc} -d {get} {server.GrpcUrl}/grpcsync.v1.SyncService/GetSync
              # REST PATCH / GET over HTTP/1.1:
              wrk -t1 -c32 -d30s -s {patchScript} {server.RestUrl}
              wrk -t1 -c32 -d30s -s {getScript} {server.RestUrl}
              # profile meanwhile, e.g.:
              dotnet-counters monitor -p {server.Process.Pid} --counters System.Runtime,Microsoft.AspNetCore.Hosting
              dotnet-trace collect -p {server.Process.Pid} --profile dotnet-sampled-thread-time --duration 00:00:20
            """);
        try
        {
            await Task.Delay(Timeout.Infinite, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C / SIGTERM
        }
        return 0;
    }

    // ---------------------------------------------------------------------------------------------
    // Figures 1 and 2 (and 6 on PostgreSQL)

    private async Task ApiFiguresAsync(Server server, SeedData seed, string store, string suffix, Func<Task<long>> versions, bool withHealth)
    {
        var hot = seed.HotSet(plan.Groups);
        var writeSet = seed.Syncs.Take(plan.WriteSetSize).ToList();
        var section = suffix.Length == 0 ? "1" : "6";
        var hotWords = $"{hot.Count} Syncs of {hot.Count} users, one per connection group ({plan.StreamsPerGroup} requests in flight on each)";
        var bodies = Path.Combine(plan.WorkDirectory, "bodies" + suffix);
        Directory.CreateDirectory(bodies);

        if (withHealth)
        {
            var healthBody = WriteBody(bodies, "health.bin", GrpcBodies.HealthCheck());
            await MeasureAsync(new Figure
            {
                Id = "2.health", Section = "2", Name = "grpc.health.v1.Health/Check", Server = "GrpcSync", Transport = "HTTP/2 gRPC",
                Tool = "h2load", Store = "— (runs the store health check: SELECT 1)",
                Workload = $"{plan.Groups} connections × {plan.StreamsPerGroup} streams, no auth, empty HealthCheckRequest",
            },
            d => H2Load.RunAsync("health" + suffix, hot.Select(_ => new H2Group($"{server.GrpcUrl}/grpc.health.v1.Health/Check",
                GrpcHeaders(null), healthBody)).ToList(), plan.StreamsPerGroup, d, plan.WorkDirectory),
            () => Task.WhenAll([Probe.GrpcAsync(server.GrpcUrl, "/grpc.health.v1.Health/Check", GrpcBodies.HealthCheck(), null)]),
            versions: null);
        }

        // GET: native gRPC, REST over HTTP/1.1, REST over h2c.
        var getBodies = hot.Select((s, i) => WriteBody(bodies, $"get-{i}.bin", GrpcBodies.GetSync(s.Id))).ToList();
        await MeasureAsync(new Figure
        {
            Id = "1.grpc-get" + suffix, Section = section, Name = "GetSync", Server = "GrpcSync", Transport = "HTTP/2 gRPC",
            Tool = "h2load", Store = store, Workload = hotWords,
        },
        d => H2Load.RunAsync("grpc-get" + suffix, hot.Select((s, i) => new H2Group($"{server.GrpcUrl}/grpcsync.v1.SyncService/GetSync",
            GrpcHeaders(s.Owner.Bearer), getBodies[i])).ToList(), plan.StreamsPerGroup, d, plan.WorkDirectory),
        () => Task.WhenAll(hot.Select(s => Probe.GrpcAsync(server.GrpcUrl, "/grpcsync.v1.SyncService/GetSync", GrpcBodies.GetSync(s.Id), s.Owner.Bearer))),
        versions: null);

        await MeasureAsync(new Figure
        {
            Id = "1.rest-get" + suffix, Section = section, Name = "GET /api/syncs/{id}", Server = "GrpcSync", Transport = "HTTP/1.1 JSON",
            Tool = "wrk", Store = store, Workload = $"{plan.Concurrency} connections rotating over the same {hot.Count} Syncs (each with its owner's token)",
        },
        d => Wrk.RunAsync(server.RestUrl, Wrk.WriteScript(Script("rest-get" + suffix), "GET", Targets(hot), null), plan.Concurrency, d),
        () => Task.WhenAll(hot.Select(s => Probe.RestAsync(HttpMethod.Get, $"{server.RestUrl}/api/syncs/{s.Id}", null, s.Owner.Bearer, false))),
        versions: null);

        await MeasureAsync(new Figure
        {
            Id = "1.h2c-get" + suffix, Section = section, Name = "GET /api/syncs/{id}", Server = "GrpcSync", Transport = "h2c JSON",
            Tool = "h2load", Store = store, Workload = hotWords,
        },
        d => H2Load.RunAsync("h2c-get" + suffix, hot.Select(s => new H2Group($"{server.GrpcUrl}/api/syncs/{s.Id}",
            [$"authorization: {s.Owner.Bearer}"], null)).ToList(), plan.StreamsPerGroup, d, plan.WorkDirectory),
        () => Task.WhenAll(hot.Select(s => Probe.RestAsync(HttpMethod.Get, $"{server.GrpcUrl}/api/syncs/{s.Id}", null, s.Owner.Bearer, true))),
        versions: null);

        // PATCH with the same value every time (h2load sends one fixed body): after the first request on a Sync
        // each PATCH is the full read-modify-write transaction that changes nothing (writes/req shows it).
        var updateBodies = hot.Select((s, i) => WriteBody(bodies, $"update-{i}.bin", GrpcBodies.UpdateSync(s.Id, "5m"))).ToList();
        var fixedWords = hotWords + "; the same body {\"incrementalAccumulatorFrequency\":\"5m\"} every time";
        await MeasureAsync(new Figure
        {
            Id = "1.grpc-update" + suffix, Section = section, Name = "UpdateSync", Server = "GrpcSync", Transport = "HTTP/2 gRPC",
            Tool = "h2load", Store = store, Workload = fixedWords,
        },
        d => H2Load.RunAsync("grpc-update" + suffix, hot.Select((s, i) => new H2Group($"{server.GrpcUrl}/grpcsync.v1.SyncService/UpdateSync",
            GrpcHeaders(s.Owner.Bearer), updateBodies[i])).ToList(), plan.StreamsPerGroup, d, plan.WorkDirectory),
        () => Task.WhenAll(hot.Select(s => Probe.GrpcAsync(server.GrpcUrl, "/grpcsync.v1.SyncService/UpdateSync", GrpcBodies.UpdateSync(s.Id, "5m"), s.Owner.Bearer))),
        versions);

        await MeasureAsync(new Figure
        {
            Id = "1.rest-patch" + suffix, Section = section, Name = "PATCH /api/syncs/{id}", Server = "GrpcSync", Transport = "HTTP/1.1 JSON",
            Tool = "wrk", Store = store,
            Workload = $"{plan.Concurrency} connections rotating over the same {hot.Count} Syncs; the same body every time",
        },
        d => Wrk.RunAsync(server.RestUrl, Wrk.WriteScript(Script("rest-patch" + suffix), "PATCH", Targets(hot), [FixedBody]), plan.Concurrency, d),
        () => Task.WhenAll(hot.Select(s => Probe.RestAsync(HttpMethod.Patch, $"{server.RestUrl}/api/syncs/{s.Id}", FixedBody, s.Owner.Bearer, false))),
        versions);

        var patchBody = WriteBody(bodies, "patch.json", System.Text.Encoding.UTF8.GetBytes(FixedBody));
        await MeasureAsync(new Figure
        {
            Id = "1.h2c-patch" + suffix, Section = section, Name = "PATCH /api/syncs/{id}", Server = "GrpcSync", Transport = "h2c JSON",
            Tool = "h2load", Store = store, Workload = fixedWords,
        },
        d => H2Load.RunAsync("h2c-patch" + suffix, hot.Select(s => new H2Group($"{server.GrpcUrl}/api/syncs/{s.Id}",
            [":method: PATCH", "content-type: application/json", $"authorization: {s.Owner.Bearer}"], patchBody)).ToList(),
            plan.StreamsPerGroup, d, plan.WorkDirectory),
        () => Task.WhenAll(hot.Select(s => Probe.RestAsync(HttpMethod.Patch, $"{server.GrpcUrl}/api/syncs/{s.Id}", FixedBody, s.Owner.Bearer, true))),
        versions);

        // Every request writes: wrk alternates the value per Sync over more Syncs than connections.
        await MeasureAsync(new Figure
        {
            Id = "1.rest-patch-writes" + suffix, Section = section, Name = "PATCH /api/syncs/{id}, every request writes", Server = "GrpcSync",
            Transport = "HTTP/1.1 JSON", Tool = "wrk", Store = store,
            Workload = $"{plan.Concurrency} connections rotating over {writeSet.Count} Syncs of {writeSet.Select(s => s.Owner).Distinct().Count()} users; " +
                       "each visit of a Sync flips 5m ↔ 10m, so every PATCH changes the row",
        },
        d => Wrk.RunAsync(server.RestUrl, Wrk.WriteScript(Script("rest-patch-writes" + suffix), "PATCH", Targets(writeSet), AlternatingBodies), plan.Concurrency, d),
        () => Task.WhenAll(hot.Take(1).Select(s => Probe.RestAsync(HttpMethod.Patch, $"{server.RestUrl}/api/syncs/{s.Id}", FixedBody, s.Owner.Bearer, false))),
        versions);
    }

    /// <summary>
    /// The write figure again with every commit synced to disk (synchronous=FULL), to compare with the raw FULL
    /// loop: what the API keeps of the store's limit when each commit waits for the disk.
    /// </summary>
    private async Task FullDurabilityFigureAsync(Server server, SeedData seed, Func<Task<long>> versions)
    {
        var writeSet = seed.Syncs.Take(plan.WriteSetSize).ToList();
        var first = writeSet[0];
        await MeasureAsync(new Figure
        {
            Id = "4.rest-patch-writes-full", Section = "4", Name = "PATCH /api/syncs/{id}, every request writes, SqliteDurability=Full",
            Server = "GrpcSync", Transport = "HTTP/1.1 JSON", Tool = "wrk", Store = "SQLite (WAL, synchronous=FULL)",
            Workload = $"{plan.Concurrency} connections rotating over {writeSet.Count} Syncs; each visit flips 5m ↔ 10m, so every PATCH commits (and syncs) a change",
        },
        d => Wrk.RunAsync(server.RestUrl, Wrk.WriteScript(Script("rest-patch-writes-full"), "PATCH", Targets(writeSet), AlternatingBodies), plan.Concurrency, d),
        () => Task.WhenAll([Probe.RestAsync(HttpMethod.Patch, $"{server.RestUrl}/api/syncs/{first.Id}", FixedBody, first.Owner.Bearer, false)]),
        versions);
    }

    /// <summary>
    /// 1.rest-patch-writes again on a server started with GrpcSync:Store:EventLog=false: what logging each
    /// change's sync_updated costs UpdateSync as callers see it (the whole call, not only the store's part).
    /// </summary>
    private async Task EventLogOffFigureAsync(Server server, SeedData seed, Func<Task<long>> versions)
    {
        var writeSet = seed.Syncs.Take(plan.WriteSetSize).ToList();
        var first = writeSet[0];
        await MeasureAsync(new Figure
        {
            Id = "4.rest-patch-writes-nolog", Section = "4", Name = "PATCH /api/syncs/{id}, every request writes, event log off",
            Server = "GrpcSync", Transport = "HTTP/1.1 JSON", Tool = "wrk", Store = SqliteStore,
            Workload = $"as 1.rest-patch-writes, on a server with GrpcSync:Store:EventLog=false (there each PATCH logs one sync_updated)",
        },
        d => Wrk.RunAsync(server.RestUrl, Wrk.WriteScript(Script("rest-patch-writes-nolog"), "PATCH", Targets(writeSet), AlternatingBodies), plan.Concurrency, d),
        () => Task.WhenAll([Probe.RestAsync(HttpMethod.Patch, $"{server.RestUrl}/api/syncs/{first.Id}", FixedBody, first.Owner.Bearer, false)]),
        versions);
    }

    // ---------------------------------------------------------------------------------------------
    // Figure 3

    private async Task BaselineFiguresAsync(SeedData seed, string database, string publicKey, string grpcSyncGet, string grpcSyncPatch)
    {
        var port = LoopbackPorts.OneFree();
        var url = $"http://127.0.0.1:{port}";
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Baseline__Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Baseline__Database"] = database,
            ["Baseline__PublicKeyFile"] = publicKey,
            ["Baseline__ProjectId"] = Plan.ProjectId,
            ["Baseline__AudienceHost"] = Plan.AudienceHost,
        };
        await using var baseline = LoggedChild.Start($"baseline-r{_round}", "dotnet", [_baselineDll], env,
            Path.Combine(plan.WorkDirectory, $"baseline-r{_round}.log"), Path.GetDirectoryName(_baselineDll));
        await baseline.WaitHealthyAsync(url + "/healthz", TimeSpan.FromSeconds(60));
        _measuredPid = baseline.Pid;
        var hot = seed.HotSet(plan.Groups);
        var writeSet = seed.Syncs.Take(plan.WriteSetSize).ToList();

        // Same answers as GrpcSync's transcoded routes (compared as parsed JSON).
        var first = hot[0];
        var get = await Probe.RestAsync(HttpMethod.Get, $"{url}/api/syncs/{first.Id}", null, first.Owner.Bearer, false);
        _checks.Add(new Check($"baseline GET answers the same JSON as GrpcSync's transcoded GET{RoundWords}", SameJson(get.Body, grpcSyncGet),
            SameJson(get.Body, grpcSyncGet) ? get.Detail : $"baseline: {get.Body}\n  GrpcSync: {grpcSyncGet}"));
        var patch = await Probe.RestAsync(HttpMethod.Patch, $"{url}/api/syncs/{first.Id}", FixedBody, first.Owner.Bearer, false);
        _checks.Add(new Check($"baseline PATCH answers the same JSON as GrpcSync's transcoded PATCH{RoundWords}", SameJson(patch.Body, grpcSyncPatch),
            SameJson(patch.Body, grpcSyncPatch) ? patch.Detail : $"baseline: {patch.Body}\n  GrpcSync: {grpcSyncPatch}"));

        Func<Task<long>> versions = () => SqliteVersions(database);
        await MeasureAsync(new Figure
        {
            Id = "3.baseline-get", Section = "3", Name = "GET /api/syncs/{id}", Server = "Baseline", Transport = "HTTP/1.1 JSON",
            Tool = "wrk", Store = SqliteStore, Workload = $"as figure 1 REST GET: {plan.Concurrency} connections rotating over {hot.Count} Syncs",
        },
        d => Wrk.RunAsync(url, Wrk.WriteScript(Script("baseline-get"), "GET", Targets(hot), null), plan.Concurrency, d),
        () => Task.WhenAll(hot.Select(s => Probe.RestAsync(HttpMethod.Get, $"{url}/api/syncs/{s.Id}", null, s.Owner.Bearer, false))),
        versions: null);

        await MeasureAsync(new Figure
        {
            Id = "3.baseline-patch", Section = "3", Name = "PATCH /api/syncs/{id}", Server = "Baseline", Transport = "HTTP/1.1 JSON",
            Tool = "wrk", Store = SqliteStore, Workload = $"as figure 1 REST PATCH: {plan.Concurrency} connections, {hot.Count} Syncs, the same body every time",
        },
        d => Wrk.RunAsync(url, Wrk.WriteScript(Script("baseline-patch"), "PATCH", Targets(hot), [FixedBody]), plan.Concurrency, d),
        () => Task.WhenAll(hot.Select(s => Probe.RestAsync(HttpMethod.Patch, $"{url}/api/syncs/{s.Id}", FixedBody, s.Owner.Bearer, false))),
        versions);

        await MeasureAsync(new Figure
        {
            Id = "3.baseline-patch-writes", Section = "3", Name = "PATCH /api/syncs/{id}, every request writes", Server = "Baseline",
            Transport = "HTTP/1.1 JSON", Tool = "wrk", Store = SqliteStore,
            Workload = $"as figure 1: {plan.Concurrency} connections rotating over {writeSet.Count} Syncs, 5m ↔ 10m on each visit",
        },
        d => Wrk.RunAsync(url, Wrk.WriteScript(Script("baseline-patch-writes"), "PATCH", Targets(writeSet), AlternatingBodies), plan.Concurrency, d),
        () => Task.WhenAll(hot.Take(1).Select(s => Probe.RestAsync(HttpMethod.Patch, $"{url}/api/syncs/{s.Id}", FixedBody, s.Owner.Bearer, false))),
        versions);
        await baseline.StopAsync();
    }

    // ---------------------------------------------------------------------------------------------
    // Figure 4

    private async Task StoreFiguresAsync(SeedData seed, string database)
    {
        var copyDirectory = Directory.CreateDirectory(Path.Combine(plan.WorkDirectory, $"store-loop-r{_round}")).FullName;
        var copy = Path.Combine(copyDirectory, "grpcsync.db");
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(database + suffix))
            {
                File.Copy(database + suffix, copy + suffix, overwrite: true);
            }
        }
        var syncs = seed.Syncs.Take(plan.Concurrency).Select(s => (new Scope(Plan.ProjectId, s.Owner.UserId), Guid.Parse(s.Id))).ToList();
        using (var store = new SqliteSyncStore($"Data Source={copy}"))
        {
            await store.MigrateAsync();
            await StoreFigureAsync(new Figure
            {
                Id = "4.store-mutate-writes", Section = "4", Name = "MutateSyncAsync, every call writes", Server = "in-process",
                Transport = "—", Tool = "store loop", Store = SqliteStore,
                Workload = $"{plan.Concurrency} tasks, each on its own Sync, alternating the frequency (SqliteSyncStore, as the server uses it)",
            }, () => StoreLoops.MutateAsync(store, syncs, plan.Concurrency, alternate: true, plan.StoreWarmup, plan.StoreDuration));
            await StoreFigureAsync(new Figure
            {
                Id = "4.store-mutate-noop", Section = "4", Name = "MutateSyncAsync, same value (no change)", Server = "in-process",
                Transport = "—", Tool = "store loop", Store = SqliteStore,
                Workload = $"{plan.Concurrency} tasks, each on its own Sync, always 5m: the fixed-value PATCH's store work",
            }, () => StoreLoops.MutateAsync(store, syncs, plan.Concurrency, alternate: false, plan.StoreWarmup, plan.StoreDuration));
        }
        await OutboxFiguresAsync(syncs, copy, copyDirectory);
        await StoreFigureAsync(new Figure
        {
            Id = "4.rate-limiter", Section = "4", Name = "rate limiter check (TryAcquire)", Server = "in-process",
            Transport = "—", Tool = "limiter loop", Store = "—",
            Workload = $"1 thread, {plan.Users} callers in rotation, limits too high to refuse: the check every authenticated call makes",
        }, () => Task.FromResult(LimiterLoop.Run(plan.Users, plan.StoreWarmup, plan.StoreDuration)));
        SqliteConnection.ClearAllPools();
        var ids = syncs.Select(s => s.Item2).ToList();
        foreach (var level in new[] { "NORMAL", "FULL" })
        {
            await StoreFigureAsync(new Figure
            {
                Id = "4.raw-" + level.ToLowerInvariant(), Section = "4", Name = $"raw UPDATE + COMMIT, synchronous={level}", Server = "in-process",
                Transport = "—", Tool = "Microsoft.Data.Sqlite loop", Store = $"SQLite (WAL, synchronous={level})",
                Workload = $"1 connection, rotating over {ids.Count} Syncs with alternating values: the raw store limit",
            }, () => Task.FromResult(StoreLoops.RawSqlite(copy, ids, level, plan.StoreWarmup, plan.StoreDuration)));
        }
    }

    /// <summary>What the event log costs a write: the same loops on stores that differ only in logging events.</summary>
    private async Task OutboxFiguresAsync(List<(Scope, Guid)> syncs, string copy, string copyDirectory)
    {
        using (var unlogged = new SqliteSyncStore($"Data Source={copy}") { LogEvents = false })
        {
            await StoreFigureAsync(new Figure
            {
                Id = "4.store-mutate-writes-nolog", Section = "4", Name = "MutateSyncAsync, every call writes, event log off", Server = "in-process",
                Transport = "—", Tool = "store loop", Store = SqliteStore,
                Workload = $"as 4.store-mutate-writes, on a store that logs no events (each call there logs one sync_updated)",
            }, () => StoreLoops.MutateAsync(unlogged, syncs, plan.Concurrency, alternate: true, plan.StoreWarmup, plan.StoreDuration));
        }
        const int tasks = 4, records = 100;
        foreach (var logEvents in new[] { true, false })
        {
            var (store, runs) = await OutboxLoops.PrepareAsync(
                Path.Combine(copyDirectory, logEvents ? "outbox-on.db" : "outbox-off.db"), logEvents, tasks);
            using (store)
            {
                await StoreFigureAsync(new Figure
                {
                    Id = logEvents ? "4.store-page-writes" : "4.store-page-writes-nolog", Section = "4",
                    Name = $"WriteRecordPageAsync, {records} changed records{(logEvents ? "" : ", event log off")}", Server = "in-process",
                    Transport = "—", Tool = "store loop", Store = SqliteStore,
                    Workload = $"{tasks} tasks, each on its own running INCREMENTAL run; every record changes each page" +
                               (logEvents ? $" ({records} record_updated events per page)" : " (no events)"),
                }, () => OutboxLoops.PageWritesAsync(store, runs, records, plan.StoreWarmup, plan.StoreDuration));
            }
        }
    }

    private async Task StoreFigureAsync(Figure figure, Func<Task<LoadResult>> run)
    {
        for (var attempt = 1; ; attempt++)
        {
            await WaitForQuietAsync(figure);
            var cpu = CpuMeter.Start(Environment.ProcessId, DatabaseProcesses()); // includes the warm-up: the loops run warm-up and measurement in one go
            var clock = Stopwatch.StartNew();
            figure.Apply(await run());
            figure.SetCpu(cpu.Stop(clock.Elapsed) with { Tool = 0 });
            figure.Attempts = attempt;
            if (!figure.Disturbed || plan.Smoke || attempt >= MaxAttempts)
            {
                break;
            }
            Log($"  ({figure.Name}: {figure.OtherCpuCores:0.00} cores of other work during the run; measuring again)");
            figure.Problems.Clear();
        }
        figure.Round = _round;
        _figures.Add(figure);
        Log(Line(figure));
    }

    // ---------------------------------------------------------------------------------------------
    // Figure 6

    private async Task PostgresFiguresAsync(BenchKey key, string publicKey, string files)
    {
        Log("starting a throwaway PostgreSQL ...");
        // Default durability (fsync=on, synchronous_commit=on): every commit waits for its WAL flush. In the work
        // directory, where run.sh's trap finds a server the bench could not stop.
        _postgres = await ThrowawayPostgres.StartAsync(new ThrowawayPostgresOptions
        {
            Directory = Path.Combine(plan.WorkDirectory, "pg"),
            Settings = new Dictionary<string, string> { ["max_connections"] = "200" },
        });
        try
        {
            await using (var admin = new NpgsqlConnection(_postgres.ConnectionString("postgres")))
            {
                await admin.OpenAsync();
                await using var create = new NpgsqlCommand("CREATE DATABASE grpcsync_bench", admin);
                await create.ExecuteNonQueryAsync();
                // Figure 7's server gets a database of its own: its engine would otherwise run every seeded Sync's INITIAL run.
                await using var createEvents = new NpgsqlCommand("CREATE DATABASE grpcsync_events", admin);
                await createEvents.ExecuteNonQueryAsync();
                await using var version = new NpgsqlCommand("SHOW server_version", admin);
                _postgresVersion = (string?)await version.ExecuteScalarAsync() ?? "";
            }
            if (!plan.ApiOnly)
            {
                _round = 1;
                await EventFiguresAsync(key, publicKey, files, PostgresStore, "-pg", _postgres.ConnectionString("grpcsync_events"));
            }
            if (plan.EventsOnly)
            {
                return;
            }
            var connection = _postgres.ConnectionString("grpcsync_bench");
            var data = Directory.CreateDirectory(Path.Combine(plan.WorkDirectory, "postgres-server")).FullName;
            SeedData? seeded = null;
            for (_round = 1; _round <= plan.Repeat; _round++)
            {
                if (plan.Repeat > 1)
                {
                    Log($"-- PostgreSQL round {_round} of {plan.Repeat}");
                }
                SeedData seed;
                await using (var server = await StartServerAsync($"grpcsync-postgres-r{_round}", data, publicKey, files, connection))
                {
                    seed = seeded ??= await SeedAsync(server, key, files);
                    await ApiFiguresAsync(server, seed, PostgresStore, "-pg", () => PostgresVersions(connection), withHealth: false);
                    await server.Process.StopAsync();
                }
                if (plan.ApiOnly)
                {
                    continue;
                }
                var syncs = seed.Syncs.Take(plan.Concurrency).Select(s => (new Scope(Plan.ProjectId, s.Owner.UserId), Guid.Parse(s.Id))).ToList();
                var store = new PostgresSyncStore(connection);
                await StoreFigureAsync(new Figure
                {
                    Id = "6.store-mutate-writes-pg", Section = "6", Name = "MutateSyncAsync, every call writes", Server = "in-process",
                    Transport = "—", Tool = "store loop", Store = PostgresStore,
                    Workload = $"{plan.Concurrency} tasks, each on its own Sync, alternating the frequency (PostgresSyncStore)",
                }, () => StoreLoops.MutateAsync(store, syncs, plan.Concurrency, alternate: true, plan.StoreWarmup, plan.StoreDuration));
            }
            _round = 1;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await _postgres.DisposeAsync();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    private sealed record Server(LoggedChild Process, int RestPort, int GrpcPort)
    {
        public string RestUrl => $"http://127.0.0.1:{RestPort}";
        public string GrpcUrl => $"http://127.0.0.1:{GrpcPort}";
        public async ValueTask DisposeAsync() => await Process.DisposeAsync();
    }

    /// <summary>GrpcSync.Server.dll as a real process, configured like a deployment: environment variables only.</summary>
    private async Task<Server> StartServerAsync(string name, string dataDirectory, string publicKey, string files, string? postgresConnection,
        IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (restPort, grpcPort) = LoopbackPorts.TwoFree();
            var env = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
                ["GrpcSync__ListenAddress"] = "127.0.0.1",
                ["GrpcSync__RestPort"] = restPort.ToString(CultureInfo.InvariantCulture),
                ["GrpcSync__GrpcPort"] = grpcPort.ToString(CultureInfo.InvariantCulture),
                ["GrpcSync__DataDirectory"] = dataDirectory,
                ["GrpcSync__Auth__AudienceHosts__0"] = Plan.AudienceHost,
                [$"GrpcSync__Auth__Projects__{Plan.ProjectId}__PublicKeyFile"] = publicKey,
                ["GrpcSync__Engine__Enabled"] = "false",
                ["GrpcSync__Connectors__Filesystem__AllowedRoots__0"] = files,
                // A few users drive each figure far past the shipped per-caller limits (50/s, burst 100):
                // raised here because the limits are not what the figures measure (figure 4 measures the limiter).
                ["GrpcSync__RateLimits__PermitsPerSecond"] = "1000000000",
                ["GrpcSync__RateLimits__Burst"] = "1000000000",
            };
            if (postgresConnection is not null)
            {
                env["GrpcSync__Store__Provider"] = "Postgres";
                env["GrpcSync__Store__ConnectionString"] = postgresConnection;
            }
            foreach (var (variable, value) in extraEnvironment ?? new Dictionary<string, string>())
            {
                env[variable] = value;
            }
            // Trying a setting: BENCH_SERVER_GrpcSync__Webhooks__MaxConcurrencyPerEndpoint=8 bench/run.sh … gives every server
            // GrpcSync__Webhooks__MaxConcurrencyPerEndpoint=8 (the results' settings list what was passed).
            foreach (var (variable, value) in ServerOverrides)
            {
                env[variable] = value;
            }
            var process = LoggedChild.Start(name, "dotnet", [_serverDll], env,
                Path.Combine(plan.WorkDirectory, $"{name}-{attempt}.log"), Path.GetDirectoryName(_serverDll));
            try
            {
                await process.WaitHealthyAsync($"http://127.0.0.1:{restPort}/healthz", TimeSpan.FromSeconds(60));
                _measuredPid = process.Pid;
                Log($"{name}: REST http://127.0.0.1:{restPort} (HTTP/1.1), gRPC http://127.0.0.1:{grpcPort} (h2c), log {process.LogPath}");
                return new Server(process, restPort, grpcPort);
            }
            catch (BenchException error) when (attempt < 3 && error.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    private async Task<SeedData> SeedAsync(Server server, BenchKey key, string files)
    {
        var clock = Stopwatch.StartNew();
        var seed = await Seeder.SeedAsync(server.GrpcUrl, key, plan.Users, plan.SyncsPerUser, Path.Combine(files, "account"));
        Log($"seeded {seed.Users.Count} users, {seed.Syncs.Count} Syncs through the gRPC API in {clock.Elapsed.TotalSeconds:0.0} s");
        _checks.Add(new Check($"seeding ({server.Process.Name})", seed.Syncs.All(s => s is not null),
            $"{seed.Users.Count} credentials and {seed.Syncs.Count} Syncs created with Grpc.Net.Client"));
        return seed;
    }

    /// <summary>
    /// Sample calls (with exactly the load tool's request) before and after, an untimed warm-up, the
    /// measured run, and for PATCH figures the Syncs' total version before and after (rows changed).
    /// </summary>
    private async Task MeasureAsync(Figure figure, Func<TimeSpan, Task<LoadResult>> run,
        Func<Task<Probe.Outcome[]>> probe, Func<Task<long>>? versions)
    {
        async Task Sample(string when)
        {
            foreach (var outcome in await probe())
            {
                if (!figure.Samples.Contains(outcome.Detail))
                {
                    figure.Samples.Add(outcome.Detail);
                }
                if (!outcome.Ok)
                {
                    figure.Problems.Add($"sample call {when} the run failed: {outcome.Detail}");
                }
            }
        }
        await Sample("before");
        // Full runs: wait for an idle machine first, and measure again once if other work still got in.
        for (var attempt = 1; ; attempt++)
        {
            await WaitForQuietAsync(figure);
            if (plan.Warmup > TimeSpan.Zero)
            {
                _ = await run(plan.Warmup);
            }
            var before = versions is null ? 0 : await versions();
            var cpu = CpuMeter.Start(_measuredPid, DatabaseProcesses());
            var clock = Stopwatch.StartNew();
            var result = await run(plan.Duration);
            figure.SetCpu(cpu.Stop(clock.Elapsed));
            var after = versions is null ? 0 : await versions();
            figure.Apply(result);
            figure.Attempts = attempt;
            figure.Round = _round;
            if (versions is not null && result.Requests > 0)
            {
                figure.WritesPerRequest = Math.Round((after - before) / (double)result.Requests, 3);
            }
            if (!figure.Disturbed || plan.Smoke || attempt >= MaxAttempts)
            {
                break;
            }
            Log($"  ({figure.Name}: {figure.OtherCpuCores:0.00} cores of other work during the run; measuring again)");
            figure.Problems.Clear();
        }
        await Sample("after");
        _figures.Add(figure);
        Log(Line(figure));
    }

    /// <summary>
    /// A disturbed figure is measured once more when it is measured in one round only; with several rounds the
    /// median of the rounds already keeps one noisy run from deciding a ratio.
    /// </summary>
    private int MaxAttempts => plan.Repeat > 1 ? 1 : 2;

    private string RoundWords => plan.Repeat > 1 ? $" (round {_round})" : "";

    /// <summary>PostgreSQL's postmaster and backends, for the db CPU column (figure 6); null without PostgreSQL.</summary>
    private Func<IEnumerable<int>>? DatabaseProcesses() =>
        _postgres is { } pg ? () => [pg.PostmasterPid, .. ProcStats.ChildrenOf(pg.PostmasterPid)] : null;

    private static string LoadAverage() =>
        ProcStats.LoadAverage1() is { } load ? load.ToString("0.00", CultureInfo.InvariantCulture) : "?";

    /// <summary>
    /// Full runs only: wait (at most 2 minutes) until the machine is idle before a figure. Once a wait has run out,
    /// the box is busy with other work for longer than that: the later waits are at most 5 s each, or a run of
    /// 3 rounds would spend an hour waiting (its figures are marked ⚠ disturbed instead).
    /// </summary>
    private async Task WaitForQuietAsync(Figure figure)
    {
        if (!plan.Smoke)
        {
            figure.StartedIdle = await Quiet.WaitAsync(_quietLimit, _stopping.Token);
            if (figure.StartedIdle == false)
            {
                _quietLimit = TimeSpan.FromSeconds(5);
            }
        }
    }

    private TimeSpan _quietLimit = TimeSpan.FromMinutes(2);

    private static string Line(Figure f) => string.Create(CultureInfo.InvariantCulture,
        $"  {f.Section} {f.Name,-44} {f.Server,-10} {f.Transport,-14} {f.ReqPerSec,8:0} req/s  p50 {f.P50Ms,7:0.00} ms  p99 {f.P99Ms,7:0.00} ms" +
        $"{(f.WritesPerRequest is { } w ? $"  writes/req {w:0.00}" : "")}  CPU server {f.ServerCpuCores:0.00} ({f.ServerCpuMicrosPerRequest:0} µs/req) tool {f.ToolCpuCores:0.00}{(f.DatabaseCpuCores > 0 ? $" db {f.DatabaseCpuCores:0.00}" : "")} other {f.OtherCpuCores:0.00}{(f.Disturbed ? " DISTURBED" : "")}{(f.Ok ? "" : "  PROBLEM: " + string.Join("; ", f.Problems))}");

    private List<Ratio> Ratios()
    {
        var ratios = new List<Ratio>();
        // One value per round in which both figures were measured; the ratio is their median.
        void Add(string name, string numerator, string denominator, double? target)
        {
            var values = new List<(double Value, bool Disturbed)>();
            foreach (var n in _figures.Where(f => f.Id == numerator))
            {
                if (_figures.FirstOrDefault(f => f.Id == denominator && f.Round == n.Round) is { ReqPerSec: > 0 } d)
                {
                    values.Add((n.ReqPerSec / d.ReqPerSec, n.Disturbed || d.Disturbed));
                }
            }
            if (values.Count > 0)
            {
                ratios.Add(Ratio.OfRounds(name, numerator, denominator, values, target, atMost: false));
            }
        }
        // Figure 7's targets are on a figure's own number (a rate or a latency), not a ratio.
        void Own(string name, string id, Func<Figure, double> value, double target, bool atMost)
        {
            var values = _figures.Where(f => f.Id == id).Select(f => (value(f), f.Disturbed)).ToList();
            if (values.Count > 0)
            {
                ratios.Add(Ratio.OfRounds(name, id, "—", values, target, atMost));
            }
        }
        Add("REST h2c GET / gRPC GetSync (JSON cost, same HTTP/2 port)", "1.h2c-get", "1.grpc-get", 0.9);
        Add("REST h2c PATCH / gRPC UpdateSync (JSON cost, same HTTP/2 port)", "1.h2c-patch", "1.grpc-update", 0.9);
        Add("REST HTTP/1.1 GET / gRPC GetSync (transcoding + HTTP/1.1)", "1.rest-get", "1.grpc-get", null);
        Add("REST HTTP/1.1 PATCH / gRPC UpdateSync (transcoding + HTTP/1.1)", "1.rest-patch", "1.grpc-update", null);
        Add("REST HTTP/1.1 GET / REST h2c GET (HTTP/1.1 vs h2c, incl. tool)", "1.rest-get", "1.h2c-get", null);
        Add("GrpcSync REST GET / baseline GET", "1.rest-get", "3.baseline-get", 0.9);
        Add("gRPC GetSync / rate limiter check (the limiter's share of a call's time)", "1.grpc-get", "4.rate-limiter", null);
        Add("GrpcSync REST PATCH / baseline PATCH", "1.rest-patch", "3.baseline-patch", 0.9);
        Add("GrpcSync REST PATCH (writes) / baseline PATCH (writes)", "1.rest-patch-writes", "3.baseline-patch-writes", null);
        Add("gRPC UpdateSync / raw UPDATE+COMMIT (NORMAL)", "1.grpc-update", "4.raw-normal", 0.3);
        Add("REST PATCH (every request writes) / raw UPDATE+COMMIT (NORMAL)", "1.rest-patch-writes", "4.raw-normal", null);
        Add("MutateSyncAsync (writes) / raw UPDATE+COMMIT (NORMAL)", "4.store-mutate-writes", "4.raw-normal", null);
        Add("Event log on / off: REST PATCH, every request writes (UpdateSync's outbox cost)", "1.rest-patch-writes", "4.rest-patch-writes-nolog", 0.9);
        Add("Event log on / off: MutateSyncAsync, every call writes (the store's share of it)", "4.store-mutate-writes", "4.store-mutate-writes-nolog", null);
        Add("Event log on / off: record page write, 100 changed records (outbox cost)", "4.store-page-writes", "4.store-page-writes-nolog", 0.9);
        Add("raw synchronous=FULL / raw synchronous=NORMAL", "4.raw-full", "4.raw-normal", null);
        Add("REST PATCH (every request writes), Full / raw UPDATE+COMMIT (FULL)", "4.rest-patch-writes-full", "4.raw-full", 0.7);
        Add("gRPC GetSync / Health/Check (framework ceiling)", "1.grpc-get", "2.health", null);
        Add("PostgreSQL: REST h2c GET / gRPC GetSync", "1.h2c-get-pg", "1.grpc-get-pg", 0.9);
        Add("PostgreSQL: REST h2c PATCH / gRPC UpdateSync", "1.h2c-patch-pg", "1.grpc-update-pg", 0.9);
        Add("PostgreSQL: REST HTTP/1.1 GET / gRPC GetSync", "1.rest-get-pg", "1.grpc-get-pg", null);
        Add("PostgreSQL: REST HTTP/1.1 PATCH / gRPC UpdateSync", "1.rest-patch-pg", "1.grpc-update-pg", null);
        Add("PostgreSQL / SQLite: gRPC UpdateSync", "1.grpc-update-pg", "1.grpc-update", null);
        Add("PostgreSQL / SQLite: REST PATCH (every request writes)", "1.rest-patch-writes-pg", "1.rest-patch-writes", null);
        foreach (var (suffix, store) in new[] { ("", ""), ("-pg", "PostgreSQL: ") })
        {
            Own($"{store}webhook deliveries/s, saturated", "7.webhook-saturated" + suffix, f => f.ReqPerSec, 2000, atMost: false);
            Own($"{store}webhook commit-to-delivery p99 ms, at half the saturated rate", "7.webhook-paced" + suffix, f => f.P99Ms, 1000, atMost: true);
            Own($"{store}WatchSyncEvents gRPC commit-to-client p99 ms", "7.stream-grpc" + suffix, f => f.P99Ms, 100, atMost: true);
            Own($"{store}WatchSyncEvents REST commit-to-client p99 ms", "7.stream-rest" + suffix, f => f.P99Ms, 100, atMost: true);
        }
        return ratios;
    }

    /// <summary>The bench's BENCH_SERVER_* environment variables, without the prefix: extra settings for every server it starts.</summary>
    private static IReadOnlyDictionary<string, string> ServerOverrides { get; } =
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => e.Key is string k && k.StartsWith(ServerOverridePrefix, StringComparison.Ordinal) && k.Length > ServerOverridePrefix.Length)
            .ToDictionary(e => ((string)e.Key)[ServerOverridePrefix.Length..], e => (string?)e.Value ?? "");

    private const string ServerOverridePrefix = "BENCH_SERVER_";

    private Dictionary<string, string> Settings()
    {
        var settings = ShippedSettings();
        if (ServerOverrides.Count > 0)
        {
            settings["server overrides"] = "NOT the shipped settings: " + string.Join(", ", ServerOverrides.Select(o => $"{o.Key}={o.Value}")) +
                                           " (from BENCH_SERVER_* variables)";
        }
        return settings;
    }

    private Dictionary<string, string> ShippedSettings() => new()
    {
        ["data set"] = $"{plan.Users * plan.SyncsPerUser} Syncs across {plan.Users} users (one filesystem credential each), seeded through the gRPC API; engine off",
        ["concurrency"] = $"{plan.Concurrency} requests in flight: wrk -t1 -c{plan.Concurrency} (HTTP/1.1 keep-alive); h2load: {plan.Groups} processes × (-t1 -c1 -m{plan.StreamsPerGroup}), one Sync each",
        ["timing"] = $"{plan.Warmup.TotalSeconds:0.#} s untimed warm-up, then {plan.Duration.TotalSeconds:0.#} s measured per figure; store loops {plan.StoreWarmup.TotalSeconds:0.#} s + {plan.StoreDuration.TotalSeconds:0.#} s",
        ["rate limits"] = "the servers run with GrpcSync:RateLimits:PermitsPerSecond and Burst raised to 10^9 (the shipped 50/s, burst 100 per caller would throttle the few users that drive each figure); figure 4's limiter loop measures the check itself",
        ["latency"] = "h2load: p50/p99 from --log-file (every request); wrk: its latency histogram (latency:percentile in a Lua done())",
        ["which Syncs"] = $"GET and fixed-value PATCH figures: {plan.Groups} Syncs of {plan.Groups} users (one per h2load process; wrk rotates over the same). 'every request writes': wrk over {plan.WriteSetSize} Syncs",
        ["PATCH body"] = "{\"incrementalAccumulatorFrequency\":\"5m\"} for gRPC (UpdateSyncRequest with the same field), h2c and HTTP/1.1 — h2load sends one fixed body, so after the first request on a Sync a PATCH changes nothing (writes/req ≈ 0) but still runs the full locked read-modify-write transaction. The 'every request writes' rows alternate 5m/10m (writes/req ≈ 1)",
        ["SQLite durability"] = "the shipped default (GrpcSync:Store:SqliteDurability=Normal) opens every connection with PRAGMA synchronous=NORMAL in WAL mode (src/GrpcSync.Storage/Sqlite/SqliteSyncStore.cs): commits survive a process crash, the last ones may be lost on power loss. The raw loop is also measured at synchronous=FULL, and so is the every-request-writes PATCH on a server started with SqliteDurability=Full",
        ["events (figure 7)"] = $"a server of its own per store with the engine on (GrpcSync__Engine__Enabled=true, GrpcSync__Webhooks__AllowPrivateNetworks=true, every other event and webhook setting shipped), " +
                                $"{plan.EventUsers * plan.EventSyncsPerUser} Syncs of {plan.EventUsers} users, one webhook endpoint (admin token, events [sync_updated]) pointing at a Kestrel receiver in the bench process; " +
                                "events come from real UpdateSync calls (each flips a frequency: one sync_updated). Commit time = the event's timestamp (set in the writing operation, just before its commit); " +
                                "arrival = when the receiver or stream client got it (same machine, same clock). Duplicates (same webhook-id) are counted, not measured",
        ["servers"] = "Release builds started as processes (dotnet <dll>), ASPNETCORE_ENVIRONMENT=Production, Logging__LogLevel__Default=Warning, GrpcSync__Engine__Enabled=false",
        ["CPU"] = $"{Environment.ProcessorCount} cores shared by the server and the load tool (one load-tool thread per process); nothing is pinned. " +
                  "'CPU cores' = cores busy during the measured run in the server process (store loops: the bench process itself), in the load-tool processes, " +
                  "in PostgreSQL's processes ('db', figure 6), and in everything else ('other' = machine − server − tool − db: kernel time not charged to them, " +
                  $"or other work that disturbs the run; more than {Figure.DisturbedAbove:0.00} cores marks the figure ⚠ disturbed); " +
                  "'server CPU µs/req' = server CPU time per request, the figure least disturbed by the load tool sharing the cores",
        ["machine load"] = $"1-minute load average {_loadAtStart} at the start, {LoadAverage()} at the end. " +
                           (plan.Smoke ? "Smoke runs do not wait for an idle machine." :
                               $"Before each figure the bench waits (at most 2 min) until the machine is idle (< {Quiet.IdleBelow} cores busy for 2 s), " +
                               $"and measures a figure once more if more than {Figure.DisturbedAbove} cores of other work got into it; ⚠ marks what stayed disturbed"),
    };

    private static IReadOnlyList<string> GrpcHeaders(string? bearer) =>
        bearer is null
            ? ["content-type: application/grpc", "te: trailers"]
            : ["content-type: application/grpc", "te: trailers", $"authorization: {bearer}"];

    private static List<WrkTarget> Targets(IEnumerable<BenchSync> syncs) =>
        syncs.Select(s => new WrkTarget($"/api/syncs/{s.Id}", s.Owner.Bearer)).ToList();

    private string Script(string name) => Path.Combine(plan.WorkDirectory, name + ".lua");

    private static string WriteBody(string directory, string name, byte[] bytes)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static async Task<long> SqliteVersions(string database)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(version), 0) FROM syncs";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task<long> PostgresVersions(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COALESCE(SUM(version), 0) FROM syncs", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static bool SameJson(string a, string b)
    {
        try
        {
            return JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b));
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static void Log(string message) => Console.WriteLine(message);
}
