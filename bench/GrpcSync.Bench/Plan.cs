namespace GrpcSync.Bench;

/// <summary>What one bench run does: sizes, concurrency and timings (full run or smoke).</summary>
public sealed record Plan
{
    public required bool Smoke { get; init; }
    public required bool Postgres { get; init; }
    /// <summary>Only start and seed GrpcSync, print the load-tool commands, and keep it running (for profiling).</summary>
    public bool Serve { get; init; }
    /// <summary>Only figure 7 (events), on SQLite and with --postgres also on PostgreSQL; results go to events.{json,md}.</summary>
    public bool EventsOnly { get; init; }
    /// <summary>Only figures 1 to 3 (and 6 with --postgres): the transcoding and baseline ratios, for a quick before/after of an API change.</summary>
    public bool ApiOnly { get; init; }
    /// <summary>
    /// How many rounds of the API and store figures one invocation measures (full run: 3, smoke: 1). The rounds
    /// interleave (every figure of round 1, then every figure of round 2, …), so drift on the machine hits both
    /// sides of a ratio; each ratio is the median of its per-round values.
    /// </summary>
    public int Repeat { get; init; } = 1;
    /// <summary>What this run is, in a few words, for results/history.jsonl (--label; default: the mode).</summary>
    public string Label { get; init; } = "";
    /// <summary>Repository root (to find the Release builds) and where results are written.</summary>
    public required string RepoRoot { get; init; }
    public required string ResultsDirectory { get; init; }
    /// <summary>A scratch directory the caller (run.sh) owns and deletes.</summary>
    public required string WorkDirectory { get; init; }
    public double BuildSeconds { get; init; }

    public required int Users { get; init; }
    public required int SyncsPerUser { get; init; }
    /// <summary>Requests in flight: wrk connections, or h2load groups × streams.</summary>
    public required int Concurrency { get; init; }
    /// <summary>h2load runs as this many processes (one connection each, one Sync each): the "connection groups".</summary>
    public required int Groups { get; init; }
    /// <summary>Syncs the alternating (every request writes) REST PATCH rotates over; at least <see cref="Concurrency"/>.</summary>
    public required int WriteSetSize { get; init; }
    public required TimeSpan Warmup { get; init; }
    public required TimeSpan Duration { get; init; }
    public required TimeSpan StoreWarmup { get; init; }
    public required TimeSpan StoreDuration { get; init; }

    /// <summary>Figure 7: the Syncs its own server is seeded with (users × Syncs each).</summary>
    public required int EventUsers { get; init; }
    public required int EventSyncsPerUser { get; init; }
    /// <summary>Figure 7: changes the saturated webhook phase makes as fast as the API takes them.</summary>
    public required int EventBurst { get; init; }
    /// <summary>Figure 7: the steady rate of changes (per second) under which the streams' latency is measured.</summary>
    public required double StreamRate { get; init; }

    public int StreamsPerGroup => Concurrency / Groups;
    public string Mode => Smoke ? "smoke" : EventsOnly ? "events" : ApiOnly ? "api" : "full";

    /// <summary>The results file name (without extension).</summary>
    public string ResultsName => Smoke ? "smoke" : EventsOnly ? "events" : ApiOnly ? "api" : "latest";

    public const string ProjectId = "bench";
    public const string AudienceHost = "grpcsync.bench";

    public static Plan Parse(string[] args)
    {
        string? repo = null, work = null, results = null;
        bool smoke = false, postgres = false, serve = false, events = false, api = false;
        int? repeat = null;
        var label = "";
        double build = 0;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--smoke": smoke = true; break;
                case "--postgres": postgres = true; break;
                case "--serve": serve = true; break;
                case "--events": events = true; break;
                case "--api": api = true; break;
                case "--label": label = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--label takes a text."); break;
                case "--repeat":
                    repeat = i + 1 < args.Length && int.TryParse(args[++i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 9
                        ? n
                        : throw new ArgumentException("--repeat takes a number of rounds from 1 to 9.");
                    break;
                case "--repo": repo = args[++i]; break;
                case "--work": work = args[++i]; break;
                case "--results": results = args[++i]; break;
                case "--build-seconds": build = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: [--smoke] [--postgres] [--events | --api] [--repeat N] [--label TEXT] [--serve] --repo DIR --work DIR [--results DIR]");
            }
        }
        repo ??= Directory.GetCurrentDirectory();
        work ??= Directory.CreateTempSubdirectory("grpcsync-bench-").FullName;
        results ??= Path.Combine(repo, "bench", "results");
        if (events && api)
        {
            throw new ArgumentException("--events and --api each pick a part of the bench: give one of them.");
        }
        return smoke
            ? new Plan
            {
                Smoke = true, Postgres = postgres, Serve = serve, EventsOnly = events, ApiOnly = api, Repeat = repeat ?? 1, Label = label, RepoRoot = repo, WorkDirectory = work, ResultsDirectory = results, BuildSeconds = build,
                Users = 4, SyncsPerUser = 2, Concurrency = 8, Groups = 4, WriteSetSize = 8,
                Warmup = TimeSpan.Zero, Duration = TimeSpan.FromSeconds(1),
                StoreWarmup = TimeSpan.FromMilliseconds(200), StoreDuration = TimeSpan.FromSeconds(1),
                EventUsers = 2, EventSyncsPerUser = 4, EventBurst = 400, StreamRate = 20,
            }
            : new Plan
            {
                Smoke = false, Postgres = postgres, Serve = serve, EventsOnly = events, ApiOnly = api, Repeat = repeat ?? 3, Label = label, RepoRoot = repo, WorkDirectory = work, ResultsDirectory = results, BuildSeconds = build,
                Users = 100, SyncsPerUser = 10, Concurrency = 32, Groups = 4, WriteSetSize = 64,
                Warmup = TimeSpan.FromSeconds(3), Duration = TimeSpan.FromSeconds(10),
                StoreWarmup = TimeSpan.FromSeconds(2), StoreDuration = TimeSpan.FromSeconds(10),
                EventUsers = 8, EventSyncsPerUser = 8, EventBurst = 30_000, StreamRate = 50,
            };
    }
}
