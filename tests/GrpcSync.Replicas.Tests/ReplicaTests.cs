using System.Diagnostics;
using System.Text.Json.Nodes;
using GrpcSync.EndToEnd.Tests.Infrastructure;
using GrpcSync.Replicas.Tests.Infrastructure;
using GrpcSync.Testing.Postgres;
using Xunit.Abstractions;

namespace GrpcSync.Replicas.Tests;

/// <summary>
/// Several replicas of the real server on one PostgreSQL database: the engine's claims (FOR UPDATE SKIP
/// LOCKED) share the work without running anything twice, and leases with attempt numbers let a
/// surviving replica take over a run whose worker was killed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ReplicaTests(PostgresServerFixture postgres, ITestOutputHelper output)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task TwoReplicas_ManyDueRuns_ExecuteEachRunExactlyOnce()
    {
        const int syncCount = 60;
        const int filesPerAccount = 40;
        await using var cluster = await ReplicaCluster.CreateAsync(postgres, new Dictionary<string, string>
        {
            ["GrpcSync__Engine__PollInterval"] = "00:00:00.200",
            // At most 4 runs at once per replica: one replica's round cannot claim all 60 due runs, so the
            // other finds work at its next poll. Sharing then depends on the backlog outlasting a poll
            // interval, which a slower machine only makes likelier.
            ["GrpcSync__Engine__MaxConcurrentRuns"] = "4",
            // All 60 Syncs share one credential: let both replicas' slots work it at once (the default is 2 runs).
            ["GrpcSync__Connectors__Filesystem__MaxRunsPerCredential"] = "8",
        });
        cluster.Log = output.WriteLine;
        var account = CreateAccount(cluster.AccountsRoot, "shared", filesPerAccount, folders: 1);

        // Started together: both apply (or wait for) the schema migrations under PostgreSQL's advisory lock.
        var clock = Stopwatch.StartNew();
        var startA = cluster.StartReplicaAsync("A");
        var startB = cluster.StartReplicaAsync("B");
        var a = await startA;
        var b = await startB;
        output.WriteLine($"replicas A (pid {a.ProcessId}) and B (pid {b.ProcessId}) healthy after {clock.ElapsedMilliseconds} ms");

        const string user = "replica-user";
        using var apiA = cluster.Client(a, user);
        using var apiB = cluster.Client(b, user);
        var credentialId = await apiA.CreateFilesystemCredentialAsync(account.Root, "Shared account");

        // Round 1: enabling queues one INITIAL run per Sync, due at once.
        clock.Restart();
        var names = Enumerable.Range(1, syncCount).Select(i => $"replica-sync-{i:00}").ToArray();
        var enabled = new JsonObject[syncCount];
        await Parallel.ForEachAsync(Enumerable.Range(0, syncCount), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => enabled[i] = await apiA.EnableFilesSyncAsync(names[i], credentialId));
        var syncIds = enabled.Select(s => s.Str("id")).ToArray();
        Assert.Equal(syncCount, syncIds.Distinct().Count());
        output.WriteLine($"round 1: {syncCount} Syncs enabled through A in {clock.ElapsedMilliseconds} ms");

        await WaitUntilAsync(TimeSpan.FromSeconds(60), "every Sync IDLE with summary.lastSyncedAt", async () =>
        {
            var syncs = (await apiA.ListSyncsAsync()).ToDictionary(s => s.Str("id"));
            var pending = syncIds.Where(id => !syncs.TryGetValue(id, out var s) || !IsIdleAndSynced(s)).ToArray();
            return pending.Length == 0
                ? null
                : $"{pending.Length} not yet, e.g. {(syncs.TryGetValue(pending[0], out var first) ? first.ToJsonString() : pending[0])}";
        }, a, b);
        output.WriteLine($"round 1: all {syncCount} Syncs IDLE {clock.ElapsedMilliseconds} ms after the first enable");

        var initialRuns = await SingleRunPerSyncAsync(apiB, syncIds, "INITIAL", "ENABLE");
        var round1 = await AssertEachRunExecutedOnceAsync(initialRuns, "Initial", "Enable", expectedSeen: account.Records, a, b);
        output.WriteLine($"round 1 (INITIAL): A executed {round1["A"]}, B executed {round1["B"]}");

        // Round 2: a FULL run on every Sync at once, triggered through the other replica's API.
        clock.Restart();
        var triggered = new string[syncCount];
        await Parallel.ForEachAsync(Enumerable.Range(0, syncCount), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var run = await apiB.TriggerAsync(syncIds[i], "FULL");
            Assert.True(run.Str("type") == "FULL" && run.Str("trigger") == "MANUAL", run.ToJsonString());
            triggered[i] = run.Str("id");
        });
        var triggeredBySync = syncIds.Zip(triggered).ToDictionary(p => p.First, p => p.Second);
        await WaitUntilAsync(TimeSpan.FromSeconds(60), "every triggered FULL run SUCCEEDED", async () =>
        {
            foreach (var syncId in syncIds)
            {
                var runs = await apiA.ListRunsAsync(syncId);
                var run = runs.FirstOrDefault(r => r.Str("id") == triggeredBySync[syncId]);
                if (run is null || run.Str("state") != "SUCCEEDED")
                {
                    return $"Sync {syncId}: {(run is null ? "the triggered run is not listed" : run.ToJsonString())}";
                }
            }
            return null;
        }, a, b);
        output.WriteLine($"round 2: all {syncCount} FULL runs SUCCEEDED {clock.ElapsedMilliseconds} ms after the first trigger");

        var fullRuns = await SingleRunPerSyncAsync(apiA, syncIds, "FULL", "MANUAL");
        Assert.Equal(triggeredBySync, fullRuns.ToDictionary(p => p.Key, p => p.Value.ToString()));
        var round2 = await AssertEachRunExecutedOnceAsync(fullRuns, "Full", "Manual", expectedSeen: account.Records, a, b);
        output.WriteLine($"round 2 (FULL): A executed {round2["A"]}, B executed {round2["B"]}");

        // Nothing ran twice anywhere, whatever else the schedule queued meanwhile.
        var allFinished = RunLog.Finished(a).Concat(RunLog.Finished(b)).ToList();
        var twice = allFinished.GroupBy(f => f.RunId).Where(g => g.Count() > 1).ToList();
        Assert.True(twice.Count == 0, "Runs finished more than once:" + Environment.NewLine +
            string.Join(Environment.NewLine, twice.SelectMany(g => g).Select(f => $"[{f.Replica}] {f.Line}")));
        var startedTwice = RunLog.Started(a).Concat(RunLog.Started(b)).GroupBy(s => s.RunId).Where(g => g.Count() > 1).ToList();
        Assert.True(startedTwice.Count == 0, "Runs started more than once:" + Environment.NewLine +
            string.Join(Environment.NewLine, startedTwice.SelectMany(g => g).Select(s => $"[{s.Replica}] {s.Line}")));

        // Contention between the replicas (locks, serialisation, fencing) must not surface as errors.
        AssertNoErrorLines(a, b);

        var totalA = round1["A"] + round2["A"];
        var totalB = round1["B"] + round2["B"];
        output.WriteLine($"total: A executed {totalA}, B executed {totalB} of {2 * syncCount} runs; " +
                         $"{allFinished.Count} finished lines in all, e.g. [{allFinished[0].Replica}] {allFinished[0].Line}");
        Assert.True(totalA > 0 && totalB > 0,
            $"Both replicas should have executed runs, but A executed {totalA} and B {totalB}: the test did not exercise sharing.");
    }

    [Fact]
    public async Task KilledReplica_RunInProgress_IsRecoveredByTheOther()
    {
        const int fileCount = 20_000;
        var lease = TimeSpan.FromSeconds(3);
        await using var cluster = await ReplicaCluster.CreateAsync(postgres, new Dictionary<string, string>
        {
            ["GrpcSync__Engine__PollInterval"] = "00:00:00.200",
            ["GrpcSync__Engine__Lease"] = "00:00:03",
        });
        cluster.Log = output.WriteLine;

        var clock = Stopwatch.StartNew();
        // Nested, as accounts are; folders are records too, so the run yields files + folders records.
        var account = CreateAccount(cluster.AccountsRoot, "big", fileCount, folders: 100);
        output.WriteLine($"created {account.Files} files in {account.Folders} folders in {clock.ElapsedMilliseconds} ms");

        // Both replicas run before the Sync exists, so the kill follows the claim at once: no replica
        // start-up (seconds on a loaded machine) lies between them. Whichever claims the run is killed.
        clock.Restart();
        var startA = cluster.StartReplicaAsync("A");
        var startB = cluster.StartReplicaAsync("B");
        var a = await startA;
        var b = await startB;
        output.WriteLine($"replicas A (pid {a.ProcessId}) and B (pid {b.ProcessId}) healthy after {clock.ElapsedMilliseconds} ms");
        const string user = "recovery-user";
        using var apiA = cluster.Client(a, user);
        using var apiB = cluster.Client(b, user);
        var credentialId = await apiA.CreateFilesystemCredentialAsync(account.Root, "Big account");
        var syncId = (await apiA.EnableFilesSyncAsync("big", credentialId)).Str("id");
        var enabledAt = Stopwatch.StartNew();

        ServerProcess? victim = null;
        JsonObject? running = null;
        await WaitUntilAsync(TimeSpan.FromSeconds(30), "the Sync ACTIVE with a runningRun, and the replica running it", async () =>
        {
            var sync = await apiA.GetSyncAsync(syncId);
            if (sync.Str("status") == "ACTIVE" && sync["runningRun"] is JsonObject run)
            {
                running = run;
                var runId = Guid.Parse(run.Str("id"));
                victim = new[] { a, b }.FirstOrDefault(r => RunLog.Started(r).Any(l => l.RunId == runId));
                if (victim is not null)
                {
                    return null;
                }
            }
            return sync.ToJsonString();
        }, a, b);
        var survivor = victim == a ? b : a;
        var api = victim == a ? apiB : apiA; // ask the survivor
        var runId = running!.Str("id");
        Assert.Equal("INITIAL", running!.Str("type"));
        Assert.Equal(1, AttemptOf(running!));
        output.WriteLine($"run {runId} RUNNING on {victim!.Name} (attempt 1) {enabledAt.ElapsedMilliseconds} ms after enable");

        // The run must still be the victim's when it dies, or this test proves nothing: check, then kill at once.
        var beforeKill = await api.GetSyncAsync(syncId);
        var stillRunning = beforeKill["runningRun"] as JsonObject;
        Assert.True(stillRunning is not null && stillRunning.Str("id") == runId && AttemptOf(stillRunning) == 1,
            $"The INITIAL run was no longer {victim.Name}'s attempt 1 before the kill (it finished too soon? make the account bigger): " +
            beforeKill.ToJsonString() + Environment.NewLine + DescribeOutputs([a, b]));
        var killedAt = DateTimeOffset.UtcNow;
        var sinceKill = Stopwatch.StartNew();
        await victim.KillAsync();
        output.WriteLine($"killed {victim.Name} (SIGKILL) {enabledAt.ElapsedMilliseconds} ms after enable, with " +
                         $"{Summary(beforeKill, "totalRecords")} of {account.Records} records written by attempt 1");

        await WaitUntilAsync(TimeSpan.FromSeconds(90), $"the Sync IDLE with summary.lastSyncedAt (through {survivor.Name})", async () =>
        {
            var sync = await api.GetSyncAsync(syncId);
            return IsIdleAndSynced(sync) ? null : sync.ToJsonString();
        }, a, b);
        var recovery = sinceKill.Elapsed;
        output.WriteLine($"IDLE through {survivor.Name} {recovery.TotalMilliseconds:0} ms after the kill");

        var runs = await api.ListRunsAsync(syncId);
        var initial = Assert.Single(runs, r => r.Str("type") == "INITIAL");
        Assert.True(initial.Str("id") == runId && initial.Str("state") == "SUCCEEDED" && AttemptOf(initial) == 2,
            $"Expected run {runId} SUCCEEDED with attempt 2: {initial.ToJsonString()}");
        var synced = await api.GetSyncAsync(syncId);
        Assert.Equal(account.Records, Summary(synced, "totalRecords"));
        Assert.Equal(account.Records, Summary(synced, "syncedRecordsCount"));

        // The victim started attempt 1 and never finished it; the survivor started attempt 2 and finished it, recorded.
        Assert.Contains(RunLog.Started(victim), s => s.RunId == Guid.Parse(runId) && s.Attempt == 1);
        Assert.DoesNotContain(RunLog.Finished(victim), f => f.RunId == Guid.Parse(runId));
        var finishedLines = await WaitForFinishedLinesAsync([Guid.Parse(runId)], a, b);
        var finished = Assert.Single(finishedLines);
        Assert.True(finished.Replica == survivor.Name && finished is { Attempt: 2, Outcome: "succeeded", Fenced: false } && finished.Seen == account.Records,
            $"Unexpected end of the run: [{finished.Replica}] {finished.Line}");
        var startedOnSurvivor = Assert.Single(RunLog.Started(survivor), s => s.RunId == Guid.Parse(runId));
        Assert.Equal(2, startedOnSurvivor.Attempt);
        AssertNoErrorLines(survivor);
        var claimedAfter = survivor.TimedLines.First(l => l.Line == startedOnSurvivor.Line).At - killedAt;

        // How long the take-over took is reported, not asserted: a loaded machine may be slower, never wrong.
        output.WriteLine($"recovery: kill -> IDLE {recovery.TotalMilliseconds:0} ms " +
                         $"(kill -> {survivor.Name} started attempt 2 ≈ {claimedAfter.TotalMilliseconds:0} ms with a {lease.TotalSeconds:0} s lease; " +
                         $"its run took {finished.DurationMs} ms)");
        Assert.True(claimedAfter >= TimeSpan.Zero, $"{survivor.Name} claimed the run {claimedAfter.TotalMilliseconds:0} ms before the kill.");
    }

    // ---------------------------------------------------------------- helpers

    private sealed record Account(string Root, int Files, int Folders)
    {
        /// <summary>Records a full enumeration yields: every file and folder below the root.</summary>
        public int Records => Files + Folders;
    }

    /// <summary>
    /// An account directory with <paramref name="files"/> small files spread over <paramref name="folders"/>
    /// sub-folders (0: all at the top). Folders are records too, so a full enumeration yields files + folders.
    /// </summary>
    private static Account CreateAccount(string accountsRoot, string name, int files, int folders)
    {
        var root = Directory.CreateDirectory(Path.Combine(accountsRoot, name)).FullName;
        var directories = folders == 0
            ? [root]
            : Enumerable.Range(1, folders).Select(i => Directory.CreateDirectory(Path.Combine(root, $"folder-{i:000}")).FullName).ToArray();
        Parallel.For(0, directories.Length, d =>
        {
            for (var i = d; i < files; i += directories.Length)
            {
                File.WriteAllText(Path.Combine(directories[d], $"file-{i:00000}.txt"), $"content of file {i}\n");
            }
        });
        return new Account(root, files, folders);
    }

    private static bool IsIdleAndSynced(JsonObject sync) =>
        sync["status"]?.GetValue<string>() == "IDLE" && sync["summary"]?["lastSyncedAt"] is JsonValue;

    private static int AttemptOf(JsonObject run) => run["attempt"]?.GetValue<int>() ?? 0;

    private static long Summary(JsonObject sync, string field) => sync["summary"]?[field] switch
    {
        JsonValue value when value.TryGetValue<long>(out var number) => number,
        JsonValue value when value.TryGetValue<string>(out var text) && long.TryParse(text, out var parsed) => parsed, // int64 as a JSON string
        _ => 0,
    };

    /// <summary>
    /// The one run of <paramref name="type"/>/<paramref name="trigger"/> each Sync lists; it must have SUCCEEDED at its first attempt.
    /// </summary>
    private static async Task<Dictionary<string, Guid>> SingleRunPerSyncAsync(SyncClient api, IEnumerable<string> syncIds, string type, string trigger)
    {
        var result = new Dictionary<string, Guid>();
        foreach (var syncId in syncIds)
        {
            var runs = await api.ListRunsAsync(syncId);
            var matching = runs.Where(r => r.Str("type") == type).ToList();
            Assert.True(matching.Count == 1, $"Sync {syncId} should list exactly one {type} run: {new JsonArray([.. runs.Select(r => r.DeepClone())]).ToJsonString()}");
            var run = matching[0];
            Assert.True(run.Str("trigger") == trigger && run.Str("state") == "SUCCEEDED" && AttemptOf(run) == 1,
                $"Sync {syncId}: expected the {type} run ({trigger}) SUCCEEDED at attempt 1: {run.ToJsonString()}");
            result.Add(syncId, Guid.Parse(run.Str("id")));
        }
        return result;
    }

    /// <summary>
    /// Each run appears in exactly one "finished" line across all replicas' logs (succeeded, recorded,
    /// attempt 1, every record seen) and in one "started" line. Returns how many runs each replica executed.
    /// </summary>
    private static async Task<Dictionary<string, int>> AssertEachRunExecutedOnceAsync(Dictionary<string, Guid> runsBySync,
        string runType, string trigger, int expectedSeen, params ServerProcess[] replicas)
    {
        var finished = await WaitForFinishedLinesAsync(runsBySync.Values, replicas);
        var started = replicas.SelectMany(RunLog.Started).ToList();
        foreach (var (syncId, runId) in runsBySync)
        {
            var ends = finished.Where(f => f.RunId == runId).ToList();
            Assert.True(ends.Count == 1, $"Run {runId} of Sync {syncId} should have exactly one 'finished' line across the replicas:" +
                Environment.NewLine + string.Join(Environment.NewLine, ends.Select(f => $"[{f.Replica}] {f.Line}")));
            var end = ends[0];
            Assert.True(end.SyncId == Guid.Parse(syncId) && end.RunType == runType && end.Attempt == 1 && end.Outcome == "succeeded"
                        && !end.Fenced && end.Seen == expectedSeen,
                $"Unexpected end of run {runId} (Sync {syncId}, {runType}, {expectedSeen} records): [{end.Replica}] {end.Line}");
            var starts = started.Where(s => s.RunId == runId).ToList();
            Assert.True(starts.Count == 1 && starts[0].Replica == end.Replica && starts[0].Trigger == trigger && starts[0].Attempt == 1,
                $"Run {runId} should have started once, at attempt 1 ({trigger}), on the replica that finished it ({end.Replica}):" +
                Environment.NewLine + string.Join(Environment.NewLine, starts.Select(s => $"[{s.Replica}] {s.Line}")));
        }
        var ids = runsBySync.Values.ToHashSet();
        return replicas.ToDictionary(r => r.Name, r => finished.Count(f => f.Replica == r.Name && ids.Contains(f.RunId)));
    }

    /// <summary>
    /// The "finished" lines of <paramref name="runIds"/> once each has at least one: the engine logs after it
    /// recorded the end, so the API can show a run SUCCEEDED a moment before its line reaches stdout.
    /// </summary>
    private static async Task<List<FinishedLine>> WaitForFinishedLinesAsync(IEnumerable<Guid> runIds, params ServerProcess[] replicas)
    {
        var wanted = runIds.ToHashSet();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var finished = replicas.SelectMany(RunLog.Finished).Where(f => wanted.Contains(f.RunId)).ToList();
            var missing = wanted.Except(finished.Select(f => f.RunId)).ToList();
            if (missing.Count == 0)
            {
                return finished;
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail($"{missing.Count} runs have no 'finished' line in any replica's output, e.g. {missing[0]}." +
                            Environment.NewLine + DescribeOutputs(replicas));
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Polls <paramref name="check"/> (null: done; otherwise what is still missing) until it passes or the timeout.</summary>
    private static async Task WaitUntilAsync(TimeSpan timeout, string what, Func<Task<string?>> check, params ServerProcess[] replicas)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var missing = await check();
            if (missing is null)
            {
                return;
            }
            if (deadline.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}: {missing}" + Environment.NewLine +
                            DescribeOutputs(replicas));
            }
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Reports each replica's warnings; asserts no replica logged an error or critical entry ("fail:"/"crit:" of the simple console format) or wrote to stderr.</summary>
    private void AssertNoErrorLines(params ServerProcess[] replicas)
    {
        foreach (var replica in replicas)
        {
            var warnings = replica.Lines.Where(l => l.StartsWith("warn:", StringComparison.Ordinal)).ToList();
            output.WriteLine($"replica {replica.Name}: {replica.Lines.Count} output lines, {warnings.Count} warnings" +
                             string.Concat(warnings.Take(5).Select(w => Environment.NewLine + "  " + w)));
        }
        var errors = replicas
            .SelectMany(r => r.Lines.Where(IsErrorLine).Select(line => $"[{r.Name}] {line}"))
            .ToList();
        Assert.True(errors.Count == 0, "The replicas logged errors:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Take(50)));
    }

    private static bool IsErrorLine(string line) =>
        line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal)
        || line.StartsWith("[stderr] ", StringComparison.Ordinal);

    private static string DescribeOutputs(IEnumerable<ServerProcess> replicas) =>
        string.Join(Environment.NewLine, replicas.Select(r =>
            $"--- replica {r.Name} (pid {r.ProcessId}{(r.HasExited ? ", exited" : "")}) ---{Environment.NewLine}{Tail(r.Lines, 200)}"));

    private static string Tail(IReadOnlyList<string> lines, int count) =>
        string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Count - count)));
}
