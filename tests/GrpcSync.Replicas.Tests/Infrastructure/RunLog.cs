using System.Globalization;
using System.Text.RegularExpressions;

namespace GrpcSync.Replicas.Tests.Infrastructure;

/// <summary>A run start the engine logged ("Run {RunId} of Sync {SyncId} started: {RunType} ({Trigger}), attempt {Attempt}, ...").</summary>
public sealed record StartedLine(string Replica, Guid RunId, Guid SyncId, string RunType, string Trigger, int Attempt, string Line);

/// <summary>
/// A run end the engine logged ("Run {RunId} of Sync {SyncId} ({RunType}, attempt {Attempt}) finished:
/// {Outcome}{FencedNote} after {DurationMs} ms; {Pages} pages, {Seen} records seen, ..."). Fenced: the
/// worker's final write was refused because the run was no longer its own.
/// </summary>
public sealed record FinishedLine(string Replica, Guid RunId, Guid SyncId, string RunType, int Attempt, string Outcome, bool Fenced,
    long DurationMs, long Seen, string Line);

/// <summary>Parses the engine's run lines (src/GrpcSync.Engine/Running/RunWorker.cs, events 2001 and 2002) from a replica's output.</summary>
public static partial class RunLog
{
    private const string FencedNote = " (not recorded: the run was no longer this worker's)";

    public static IReadOnlyList<StartedLine> Started(ServerProcess replica) =>
        [.. replica.Lines.Select(line => (line, match: StartedPattern().Match(line)))
            .Where(x => x.match.Success)
            .Select(x => new StartedLine(replica.Name, Guid.Parse(x.match.Groups["run"].Value), Guid.Parse(x.match.Groups["sync"].Value),
                x.match.Groups["type"].Value, x.match.Groups["trigger"].Value,
                int.Parse(x.match.Groups["attempt"].Value, CultureInfo.InvariantCulture), x.line))];

    public static IReadOnlyList<FinishedLine> Finished(ServerProcess replica) =>
        [.. replica.Lines.Select(line => (line, match: FinishedPattern().Match(line)))
            .Where(x => x.match.Success)
            .Select(x =>
            {
                var outcome = x.match.Groups["outcome"].Value;
                var fenced = outcome.EndsWith(FencedNote, StringComparison.Ordinal);
                return new FinishedLine(replica.Name, Guid.Parse(x.match.Groups["run"].Value), Guid.Parse(x.match.Groups["sync"].Value),
                    x.match.Groups["type"].Value, int.Parse(x.match.Groups["attempt"].Value, CultureInfo.InvariantCulture),
                    fenced ? outcome[..^FencedNote.Length] : outcome, fenced,
                    long.Parse(x.match.Groups["ms"].Value, CultureInfo.InvariantCulture),
                    long.Parse(x.match.Groups["seen"].Value, CultureInfo.InvariantCulture), x.line);
            })];

    [GeneratedRegex(@"Run (?<run>[0-9a-fA-F-]{36}) of Sync (?<sync>[0-9a-fA-F-]{36}) started: (?<type>\w+) \((?<trigger>\w+)\), attempt (?<attempt>\d+),")]
    private static partial Regex StartedPattern();

    [GeneratedRegex(@"Run (?<run>[0-9a-fA-F-]{36}) of Sync (?<sync>[0-9a-fA-F-]{36}) \((?<type>\w+), attempt (?<attempt>\d+)\) finished: (?<outcome>.*) after (?<ms>\d+) ms; (?<pages>\d+) pages, (?<seen>\d+) records seen,")]
    private static partial Regex FinishedPattern();
}
