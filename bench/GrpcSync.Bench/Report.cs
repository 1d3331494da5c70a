using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Bench;

/// <summary>One row of the results table.</summary>
public sealed class Figure
{
    public required string Id { get; init; }
    public required string Section { get; init; }
    public required string Name { get; init; }
    public required string Server { get; init; }
    public required string Transport { get; init; }
    public required string Tool { get; init; }
    public required string Store { get; init; }
    /// <summary>Which Syncs and which bodies, in words.</summary>
    public required string Workload { get; init; }
    public double ReqPerSec { get; set; }
    public double P50Ms { get; set; }
    public double P99Ms { get; set; }
    public long Requests { get; set; }
    public long Errors { get; set; }
    /// <summary>PATCH rows: rows actually changed per request (from the Syncs' versions before and after).</summary>
    public double? WritesPerRequest { get; set; }
    /// <summary>Measured runs made (a disturbed run is measured once more); whether the machine was idle before the last.</summary>
    public int Attempts { get; set; } = 1;
    public bool? StartedIdle { get; set; }
    /// <summary>Which round of the run (1 … --repeat) this measurement is; figure 7 is measured in round 1 only.</summary>
    public int Round { get; set; } = 1;

    public void SetCpu(CpuCores cores)
    {
        ServerCpuCores = Math.Round(cores.Server, 3);
        ToolCpuCores = Math.Round(cores.Tool, 3);
        DatabaseCpuCores = Math.Round(cores.Database, 3);
        MachineCpuCores = Math.Round(cores.Machine, 3);
    }
    /// <summary>CPU (in cores) used by the measured server process, and by the whole machine, during the measured run.</summary>
    public double ServerCpuCores { get; set; }
    public double MachineCpuCores { get; set; }
    /// <summary>CPU (in cores) of the load-tool processes during the measured run.</summary>
    public double ToolCpuCores { get; set; }
    /// <summary>CPU (in cores) of the PostgreSQL server processes (figure 6).</summary>
    public double DatabaseCpuCores { get; set; }
    /// <summary>Machine minus server, load tool and database: kernel time not charged to them, or other work disturbing the run.</summary>
    public double OtherCpuCores => Math.Round(Math.Max(0, MachineCpuCores - ServerCpuCores - ToolCpuCores - DatabaseCpuCores), 3);
    /// <summary>More than this many cores of "other" CPU: something else ran on the machine during the figure.</summary>
    public const double DisturbedAbove = 0.25;
    public bool Disturbed => OtherCpuCores > DisturbedAbove;
    /// <summary>Server CPU time per request in µs: robust to the load tool sharing the cores.</summary>
    public double ServerCpuMicrosPerRequest => ReqPerSec > 0 ? Math.Round(ServerCpuCores / ReqPerSec * 1e6, 1) : 0;
    public string Command { get; set; } = "";
    public List<string> Samples { get; } = [];
    public List<string> Problems { get; } = [];
    public bool Ok => Problems.Count == 0;

    public void Apply(LoadResult result)
    {
        ReqPerSec = Math.Round(result.ReqPerSec, 1);
        P50Ms = Math.Round(result.P50Ms, 3);
        P99Ms = Math.Round(result.P99Ms, 3);
        Requests = result.Requests;
        Errors = result.Errors;
        Command = result.Command;
        if (result.ReqPerSec <= 0 || result.Requests <= 0)
        {
            Problems.Add("zero throughput");
        }
        if (result.Errors > 0)
        {
            Problems.Add($"{result.Errors} failed requests (non-2xx, socket errors or timeouts)");
        }
    }
}

/// <summary>
/// A ratio of two figures, or one figure's own number (<see cref="Denominator"/> "—": figure 7's rates and
/// latencies), with the target it should meet (if any): at least <see cref="Target"/>, or at most when <see cref="AtMost"/>.
/// </summary>
public sealed record Ratio(string Name, string Numerator, string Denominator, double Value, double? Target, bool Disturbed, bool AtMost = false)
{
    public bool? Meets => Target is { } t ? (AtMost ? Value <= t : Value >= t) : null;

    /// <summary>The value of each round, in round order (one entry when measured once).</summary>
    public IReadOnlyList<double> Values { get; init; } = [];

    /// <summary>Rounds in which a figure of this ratio was ⚠ disturbed.</summary>
    public int DisturbedRounds { get; init; }

    /// <summary>
    /// The median of the rounds' values (the mean of the middle two for an even count). Disturbed when half the
    /// rounds or more were: one noisy round does not decide the verdict, and neither does it hide.
    /// </summary>
    public static Ratio OfRounds(string name, string numerator, string denominator, IReadOnlyList<(double Value, bool Disturbed)> rounds,
        double? target, bool atMost)
    {
        var sorted = rounds.Select(r => r.Value).Order().ToList();
        var middle = sorted.Count / 2;
        var median = sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        var disturbed = rounds.Count(r => r.Disturbed);
        return new Ratio(name, numerator, denominator, median, target, disturbed * 2 >= rounds.Count, atMost)
        {
            Values = rounds.Select(r => r.Value).ToList(),
            DisturbedRounds = disturbed,
        };
    }
}

public sealed record Check(string Name, bool Ok, string Detail);

/// <summary>Prints the table and writes it as JSON and Markdown.</summary>
public static class Report
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly string[] NotMeasured =
    [
        "5. Scheduler at scale (dispatcher and run workers with many due Syncs): NOT MEASURED BY THIS HARNESS — the engine is " +
        "switched off (GrpcSync__Engine__Enabled=false) for figures 1 to 4 and 6, figure 7's server runs it only for its event loops " +
        "(a few dozen Syncs), and no number is reported for the scheduler; see bench/Scheduler/.",
    ];

    /// <summary>
    /// One row per figure. With several rounds, the row is the round with the median req/s (its other columns are
    /// that round's), and a last column lists every round's req/s; the JSON keeps every round's row.
    /// </summary>
    public static string Table(IReadOnlyList<Figure> figures, int repeat)
    {
        var sb = new StringBuilder();
        var rounds = repeat > 1;
        sb.AppendLine("| # | figure | server | transport | tool | req/s | p50 ms | p99 ms | requests | errors | writes/req | CPU cores: server | tool | db | other | server CPU µs/req |" +
                      (rounds ? " req/s per round |" : ""));
        sb.AppendLine("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + (rounds ? "---|" : ""));
        foreach (var group in figures.GroupBy(f => f.Id))
        {
            var all = group.OrderBy(f => f.Round).ToList();
            var f = MedianRound(all);
            var perRound = rounds ? " " + string.Join(" / ", all.Select(r => r.ReqPerSec.ToString("0", CultureInfo.InvariantCulture) + (r.Disturbed ? " ⚠" : ""))) + " |" : "";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {f.Section} | {f.Name} | {f.Server} | {f.Transport} | {f.Tool} | {f.ReqPerSec:0} | {f.P50Ms:0.00} | {f.P99Ms:0.00} | {f.Requests} | {f.Errors} | {(f.WritesPerRequest is { } w ? w.ToString("0.00", CultureInfo.InvariantCulture) : "")} | {f.ServerCpuCores:0.00} | {f.ToolCpuCores:0.00} | {f.DatabaseCpuCores:0.00} | {f.OtherCpuCores:0.00}{(f.Disturbed ? " ⚠" : "")} | {f.ServerCpuMicrosPerRequest:0} |{perRound}"));
        }
        return sb.ToString();
    }

    /// <summary>The round with the median req/s (the lower middle one for an even count).</summary>
    public static Figure MedianRound(IReadOnlyList<Figure> rounds) =>
        rounds.OrderBy(f => f.ReqPerSec).ElementAt((rounds.Count - 1) / 2);

    public static string RatioTable(IReadOnlyList<Ratio> ratios)
    {
        var sb = new StringBuilder();
        var rounds = ratios.Any(r => r.Values.Count > 1);
        sb.AppendLine(rounds ? "| ratio | median | rounds | target | verdict |" : "| ratio | value | target | verdict |");
        sb.AppendLine(rounds ? "|---|---:|---|---:|---|" : "|---|---:|---:|---|");
        foreach (var r in ratios)
        {
            var verdict = r.Meets switch { true => "meets", false => "**MISSES**", null => "(info)" }
                          + (r.Disturbed ? " ⚠ disturbed" : "")
                          + (rounds && r.DisturbedRounds > 0 ? $" ({r.DisturbedRounds} of {r.Values.Count} rounds ⚠)" : "");
            var values = rounds ? " " + string.Join(" / ", r.Values.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture))) + " |" : "";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Value:0.00} |{values} {(r.Target is { } t ? (r.AtMost ? "≤ " : "≥ ") + t.ToString("0.0#", CultureInfo.InvariantCulture) : "")} | {verdict} |"));
        }
        return sb.ToString();
    }

    public static void Write(Plan plan, IReadOnlyList<Figure> figures, IReadOnlyList<Ratio> ratios, IReadOnlyList<Check> checks,
        IReadOnlyDictionary<string, string> settings, double seconds, string? postgresVersion)
    {
        Directory.CreateDirectory(plan.ResultsDirectory);
        var name = plan.ResultsName;
        var machine = new Dictionary<string, string>
        {
            ["cores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["os"] = RuntimeInformation.OSDescription,
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["cpu"] = CpuModel(),
        };
        if (postgresVersion is not null)
        {
            machine["postgres"] = postgresVersion;
        }
        var document = new
        {
            generatedAt = DateTimeOffset.UtcNow,
            mode = plan.Mode,
            postgres = plan.Postgres,
            machine,
            settings,
            benchSeconds = Math.Round(seconds, 1),
            buildSeconds = Math.Round(plan.BuildSeconds, 1),
            figures,
            repeat = plan.Repeat,
            ratios = ratios.Select(r => new
            {
                r.Name, r.Numerator, r.Denominator, value = Math.Round(r.Value, 3), values = r.Values.Select(v => Math.Round(v, 3)).ToList(),
                r.Target, atMost = r.AtMost ? true : (bool?)null, r.Meets, r.Disturbed, disturbedRounds = r.DisturbedRounds,
            }),
            checks,
            notMeasured = NotMeasured,
        };
        File.WriteAllText(Path.Combine(plan.ResultsDirectory, name + ".json"), JsonSerializer.Serialize(document, Json) + "\n");

        var md = new StringBuilder();
        md.AppendLine($"# GrpcSync bench results ({plan.Mode}{(plan.Postgres ? ", with PostgreSQL" : "")})");
        md.AppendLine();
        md.AppendLine($"Generated {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC by `bench/run.sh{(plan.Smoke ? " --smoke" : "")}{(plan.EventsOnly ? " --events" : "")}{(plan.ApiOnly ? " --api" : "")}{(plan.Postgres ? " --postgres" : "")} --repeat {plan.Repeat}` " +
                      $"in {seconds:0} s (+ {plan.BuildSeconds:0} s build). Machine: {machine["cores"]} cores ({machine["cpu"]}), {machine["os"]}, {machine["runtime"]}" +
                      (postgresVersion is null ? "." : $", PostgreSQL {postgresVersion}."));
        md.AppendLine();
        md.AppendLine("**The load tool runs on the same 2 cores as the server** (and the in-process store loops have the machine to themselves): " +
                      "the API figures are what one 2-core box does with its client included, not the server's ceiling.");
        md.AppendLine();
        md.AppendLine("## Settings");
        md.AppendLine();
        foreach (var (key, value) in settings)
        {
            md.AppendLine($"- **{key}**: {value}");
        }
        md.AppendLine();
        md.AppendLine("## Figures");
        md.AppendLine();
        if (plan.Repeat > 1)
        {
            md.AppendLine($"{plan.Repeat} rounds, interleaved (every figure of round 1, then of round 2, …; figure 7 in round 1 only). Each row is " +
                          "the round with the median req/s; the last column gives every round's. Each ratio below is the median of its rounds' values " +
                          "(round n of the numerator over round n of the denominator); the JSON holds every round's figures (`round`) and values.");
            md.AppendLine();
        }
        md.Append(Table(figures, plan.Repeat));
        md.AppendLine();
        md.AppendLine($"⚠ = more than {Figure.DisturbedAbove:0.00} cores of CPU went to other work during the figure: its numbers are disturbed; rerun on a quiet machine.");
        md.AppendLine();
        md.AppendLine("## Ratios and targets");
        md.AppendLine();
        md.Append(RatioTable(ratios));
        md.AppendLine();
        md.AppendLine("## Not measured");
        md.AppendLine();
        foreach (var line in NotMeasured)
        {
            md.AppendLine("- " + line);
        }
        md.AppendLine();
        md.AppendLine("## Workloads and commands");
        md.AppendLine();
        foreach (var f in figures.GroupBy(f => f.Id).Select(g => g.First()))
        {
            md.AppendLine($"- **{f.Section} {f.Name}** ({f.Server}, {f.Store}): {f.Workload}  ");
            md.AppendLine($"  `{f.Command}`" + (f.Samples.Count > 0 ? $"  \n  sample: {string.Join("; ", f.Samples.Distinct())}" : ""));
        }
        md.AppendLine();
        md.AppendLine("## Checks");
        md.AppendLine();
        foreach (var c in checks)
        {
            md.AppendLine($"- {(c.Ok ? "ok" : "**FAILED**")}: {c.Name} — {c.Detail}");
        }
        File.WriteAllText(Path.Combine(plan.ResultsDirectory, name + ".md"), md.ToString());
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
