using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GrpcSync.Testing.Processes;

namespace GrpcSync.Bench;

/// <summary>What one measured load run gave: throughput, latency percentiles and failures.</summary>
public sealed record LoadResult(long Requests, double Seconds, double ReqPerSec, double P50Ms, double P99Ms, long Errors, string Command)
{
    public static LoadResult FromLatencies(IReadOnlyList<double> latenciesMs, double seconds, long errors, string command)
    {
        var sorted = latenciesMs.Order().ToArray();
        return new LoadResult(sorted.Length, seconds, seconds > 0 ? sorted.Length / seconds : 0,
            Percentile(sorted, 50), Percentile(sorted, 99), errors, command);
    }

    /// <summary>Nearest-rank percentile of an ascending array (0 when empty).</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>One h2load process: one connection with <c>streams</c> concurrent streams to one URL (one Sync).</summary>
public sealed record H2Group(string Url, IReadOnlyList<string> Headers, string? BodyFile);

/// <summary>
/// h2load (nghttp2-client) for HTTP/2: native gRPC and REST over h2c. A run starts one single-threaded
/// h2load process per connection group, all at once, each with a fixed duration (-D) and a per-request
/// log (--log-file) from which p50/p99 are computed; throughput is the sum of the groups' req/s.
/// </summary>
public static partial class H2Load
{
    public static async Task<LoadResult> RunAsync(string name, IReadOnlyList<H2Group> groups, int streams, TimeSpan duration, string workDirectory)
    {
        var runs = groups.Select((group, i) => RunOneAsync(group, streams, duration, Path.Combine(workDirectory, $"h2load-{name}-{i}.log"))).ToList();
        var results = await Task.WhenAll(runs);
        var latencies = new List<double>();
        long errors = 0;
        double reqPerSec = 0, seconds = 0;
        foreach (var r in results)
        {
            latencies.AddRange(r.LatenciesMs);
            errors += r.Errors;
            reqPerSec += r.ReqPerSec;
            seconds = Math.Max(seconds, r.Seconds);
        }
        var sorted = latencies.Order().ToArray();
        var command = results[0].Command + (results.Length > 1 ? $"   (× {results.Length} processes at once)" : "");
        return new LoadResult(sorted.Length, seconds, reqPerSec, LoadResult.Percentile(sorted, 50), LoadResult.Percentile(sorted, 99), errors, command);
    }

    private sealed record One(double ReqPerSec, double Seconds, long Errors, List<double> LatenciesMs, string Command);

    private static async Task<One> RunOneAsync(H2Group group, int streams, TimeSpan duration, string logFile)
    {
        var args = new List<string> { "-t", "1", "-c", "1", "-m", streams.ToString(CultureInfo.InvariantCulture),
            "-D", Seconds(duration), "--log-file", logFile };
        foreach (var header in group.Headers)
        {
            args.Add("-H");
            args.Add(header);
        }
        if (group.BodyFile is not null)
        {
            args.Add("-d");
            args.Add(group.BodyFile);
        }
        args.Add(group.Url);
        var command = "h2load " + string.Join(' ', args.Select(a => Shown(a, Path.GetDirectoryName(logFile)!)));
        var result = await ExternalCommand.RunAsync("h2load", args, duration + TimeSpan.FromSeconds(60));
        var output = result.StdOut;
        var finished = Finished().Match(output);
        var requests = Requests().Match(output);
        var codes = StatusCodes().Match(output);
        if (result.ExitCode != 0 || !finished.Success || !requests.Success || !codes.Success)
        {
            throw new BenchException($"h2load failed (exit {result.ExitCode}):\n$ {command}\n{result.Both}");
        }
        long N(Match m, string group) => long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
        var errors = N(requests, "failed") + N(requests, "errored") + N(requests, "timeout") + N(codes, "s4") + N(codes, "s5");

        // --log-file: start time (µs since epoch) \t HTTP status \t µs until the end of the response.
        var latencies = new List<double>();
        foreach (var line in File.ReadLines(logFile))
        {
            var fields = line.Split('\t');
            if (fields.Length >= 3 && long.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var micros))
            {
                latencies.Add(micros / 1000.0);
            }
        }
        return new One(double.Parse(finished.Groups["rps"].Value, CultureInfo.InvariantCulture),
            ElapsedSeconds(finished), errors, latencies, command);
    }

    private static double ElapsedSeconds(Match finished)
    {
        var time = double.Parse(finished.Groups["time"].Value, CultureInfo.InvariantCulture);
        return finished.Groups["unit"].Value == "ms" ? time / 1000 : time;
    }

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>For the printed command line: hide tokens, show scratch files as $WORK/..., quote what needs it.</summary>
    internal static string Shown(string arg, string workDirectory)
    {
        if (arg.StartsWith("authorization:", StringComparison.OrdinalIgnoreCase))
        {
            arg = "authorization: Bearer $TOKEN";
        }
        arg = arg.Replace(workDirectory, "$WORK", StringComparison.Ordinal);
        return arg.Contains(' ') ? $"'{arg}'" : arg;
    }

    // h2load prints the elapsed time in the unit that fits: "finished in 10.00s" or, under a second, "998.49ms".
    [GeneratedRegex(@"finished in (?<time>[\d.]+)(?<unit>ms|s), (?<rps>[\d.]+) req/s")]
    private static partial Regex Finished();

    [GeneratedRegex(@"requests: (?<total>\d+) total, (?<started>\d+) started, (?<done>\d+) done, (?<ok>\d+) succeeded, (?<failed>\d+) failed, (?<errored>\d+) errored, (?<timeout>\d+) timeout")]
    private static partial Regex Requests();

    [GeneratedRegex(@"status codes: (?<s2>\d+) 2xx, (?<s3>\d+) 3xx, (?<s4>\d+) 4xx, (?<s5>\d+) 5xx")]
    private static partial Regex StatusCodes();
}

/// <summary>One request wrk sends: path, Authorization header and (for PATCH) the JSON bodies it alternates between.</summary>
public sealed record WrkTarget(string Path, string Bearer);

/// <summary>
/// wrk for HTTP/1.1 (one thread, <c>connections</c> keep-alive connections). A generated Lua script
/// pre-formats every request, rotates over the targets (each with its owner's token) and prints the
/// percentiles in its <c>done</c> callback.
/// </summary>
public static partial class Wrk
{
    /// <summary>
    /// <paramref name="bodies"/>: null for GET; one body (every request sends it) or two bodies that a target
    /// alternates between on each visit (so with at least as many targets as connections every PATCH changes the row).
    /// </summary>
    public static string WriteScript(string path, string method, IReadOnlyList<WrkTarget> targets, IReadOnlyList<string>? bodies)
    {
        static string Lua(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var sb = new StringBuilder();
        sb.AppendLine("-- generated by bench/GrpcSync.Bench (wrk Lua script)");
        sb.AppendLine("local targets = {");
        foreach (var t in targets)
        {
            sb.AppendLine($"  {{ {Lua(t.Path)}, {Lua(t.Bearer)} }},");
        }
        sb.AppendLine("}");
        sb.AppendLine("local bodies = {" + string.Join(", ", (bodies ?? []).Select(Lua)) + "}");
        sb.AppendLine($"local method = {Lua(method)}");
        sb.AppendLine("""
            local prepared = {}
            local k = 0
            function init(args)
              for i, t in ipairs(targets) do
                local headers = { ["Authorization"] = t[2] }
                prepared[i] = {}
                if #bodies == 0 then
                  prepared[i][1] = wrk.format(method, t[1], headers)
                else
                  headers["Content-Type"] = "application/json"
                  for j, b in ipairs(bodies) do prepared[i][j] = wrk.format(method, t[1], headers, b) end
                end
              end
            end
            function request()
              local n = #targets
              local i = (k % n) + 1
              local phase = 1
              if #bodies > 1 then phase = (math.floor(k / n) % #bodies) + 1 end
              k = k + 1
              return prepared[i][phase]
            end
            function done(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f status_errors=%d socket_errors=%d\n",
                summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
                e.status, e.connect + e.read + e.write + e.timeout))
            end
            """);
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    public static async Task<LoadResult> RunAsync(string baseUrl, string script, int connections, TimeSpan duration)
    {
        var args = new List<string> { "-t", "1", "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{Math.Max(1, (int)Math.Round(duration.TotalSeconds))}s", "--timeout", "10s", "-s", script, baseUrl };
        var command = "wrk " + string.Join(' ', args.Select(a => a == script ? "$WORK/" + Path.GetFileName(script) : a));
        var result = await ExternalCommand.RunAsync("wrk", args, duration + TimeSpan.FromSeconds(60));
        var m = Summary().Match(result.StdOut);
        if (result.ExitCode != 0 || !m.Success)
        {
            throw new BenchException($"wrk failed (exit {result.ExitCode}):\n$ {command}\n{result.Both}");
        }
        long N(string group) => long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
        var seconds = N("dur") / 1e6;
        var requests = N("req");
        return new LoadResult(requests, seconds, seconds > 0 ? requests / seconds : 0, N("p50") / 1000.0, N("p99") / 1000.0,
            N("status") + N("socket"), command);
    }

    [GeneratedRegex(@"BENCH requests=(?<req>\d+) duration_us=(?<dur>\d+) p50_us=(?<p50>\d+) p99_us=(?<p99>\d+) status_errors=(?<status>\d+) socket_errors=(?<socket>\d+)")]
    private static partial Regex Summary();
}
