using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace GrpcSync.Bench;

/// <summary>
/// results/history.jsonl: one line per run (smoke runs excepted), appended, never rewritten — the folder keeps only
/// the latest full results, and this file keeps what earlier runs measured: date, label, git revision, the machine's
/// load, every ratio with a target (median of the rounds and each round's value) and the median req/s of each figure.
/// </summary>
public static class History
{
    public const string FileName = "history.jsonl";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Append(Plan plan, IReadOnlyList<Figure> figures, IReadOnlyList<Ratio> ratios, string loadAtStart, string loadAtEnd)
    {
        var line = new
        {
            date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture),
            label = plan.Label.Length > 0 ? plan.Label : plan.Mode,
            gitRev = GitRevision(plan.RepoRoot),
            command = $"bench/run.sh{(plan.EventsOnly ? " --events" : "")}{(plan.ApiOnly ? " --api" : "")}{(plan.Postgres ? " --postgres" : "")} --repeat {plan.Repeat}",
            load1 = new[] { loadAtStart, loadAtEnd },
            disturbedFigures = figures.Count(f => f.Disturbed) + " of " + figures.Count,
            ratios = ratios.Where(r => r.Target is not null).ToDictionary(r => r.Name, r => new
            {
                median = Math.Round(r.Value, 3),
                rounds = r.Values.Select(v => Math.Round(v, 3)).ToList(),
                target = (r.AtMost ? "<= " : ">= ") + r.Target!.Value.ToString(CultureInfo.InvariantCulture),
            }),
            reqPerSec = figures.GroupBy(f => f.Id).ToDictionary(g => g.Key, g => Math.Round(Report.MedianRound(g.ToList()).ReqPerSec)),
        };
        File.AppendAllText(Path.Combine(plan.ResultsDirectory, FileName), JsonSerializer.Serialize(line, Json) + "\n");
    }

    /// <summary>The short commit the build came from, with "+changes" when the work tree differs from it.</summary>
    private static string GitRevision(string repo)
    {
        var rev = Git(repo, "rev-parse --short HEAD");
        if (rev is null)
        {
            return "unknown";
        }
        return string.IsNullOrWhiteSpace(Git(repo, "status --porcelain --untracked-files=no")) ? rev : rev + "+changes";
    }

    private static string? Git(string repo, string arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", $"-C \"{repo}\" {arguments}")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (git is null)
            {
                return null;
            }
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}
