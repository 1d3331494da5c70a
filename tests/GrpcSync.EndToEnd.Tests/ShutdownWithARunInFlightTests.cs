using System.Text.Json.Nodes;
using GrpcSync.EndToEnd.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>
/// The README's SIGTERM promise in a real process: a run in flight is cancelled after
/// <c>ShutdownTimeout</c> and put back in the queue (due now), and the next process picks it up at
/// once and finishes it. The lease is set to 10 minutes, so only the release (not a lease expiry)
/// can let the next process run it within the test's time.
/// </summary>
public sealed class ShutdownWithARunInFlightTests : IDisposable
{
    // 40 sparse files of 256 MiB (the largest size still hashed): reading and hashing 10 GiB of zeros keeps
    // the INITIAL run busy for seconds, taking no disk space.
    private const int BigFiles = 40;
    private const long BigFileSize = 256L * 1024 * 1024;

    private static readonly Dictionary<string, string> Engine = new(StringComparer.Ordinal)
    {
        ["GrpcSync__Engine__Lease"] = "00:10:00",
        ["GrpcSync__Engine__ShutdownTimeout"] = "00:00:00.200",
        ["GrpcSync__Engine__PollInterval"] = "00:00:00.100",
    };

    private readonly TestEnvironment _environment = new();

    public void Dispose() => _environment.Dispose();

    [Fact]
    public async Task SIGTERM_with_a_run_in_flight_releases_the_run_and_the_next_process_picks_it_up_again()
    {
        var token = _environment.Key.CreateToken("shutdown-user");
        var account = _environment.NewAccount();
        for (var i = 0; i < BigFiles; i++)
        {
            using var file = File.Create(Path.Combine(account, "root", $"big-{i:D2}.bin"));
            file.SetLength(BigFileSize);
        }
        string syncId, runId;

        await using (var first = await _environment.StartServerAsync(Engine))
        {
            using var http = RestClient(first);
            var credential = await Rest.OkAsync(http, HttpMethod.Post, "api/credentials", token,
                new JsonObject { ["integration"] = "filesystem", ["displayName"] = "Files", ["secret"] = account });
            var sync = await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, new JsonObject
            {
                ["integration"] = "filesystem",
                ["pipeline"] = "files",
                ["credentialId"] = credential.Str("id"),
                ["configuration"] = new JsonObject { ["folder"] = "root" },
                ["incrementalAccumulatorFrequency"] = "1h",
            });
            syncId = sync.Str("id");

            var running = await Poll.UntilAsync(() => InitialRunAsync(http, token, syncId),
                r => r.Str("state") == "RUNNING", r => r.Str("state") is "SUCCEEDED" or "FAILED" or "CANCELLED",
                "the INITIAL run to be RUNNING (it must still be hashing when SIGTERM comes)", () => first.Output);
            runId = running.Str("id");

            var exitCode = await first.StopAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"SIGTERM should stop the server gracefully (exit code 0), got {exitCode}:{Environment.NewLine}{first.Output}");
        }

        // Between the processes: the run is back in the queue, not left RUNNING under a lease.
        var (state, attempt) = await ReadRunAsync(Path.Combine(_environment.DataDirectory, "grpcsync.db"), runId);
        Assert.Equal("Queued", state);
        Assert.Equal(1, attempt);
        // The big files only had to keep the first process busy: shrink them so the retry is quick.
        for (var i = 0; i < BigFiles; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(account, "root", $"big-{i:D2}.bin"), "small now");
        }

        await using (var second = await _environment.StartServerAsync(Engine))
        {
            using var http = RestClient(second);
            var finished = await Poll.UntilAsync(() => InitialRunAsync(http, token, syncId),
                r => r.Str("state") == "SUCCEEDED", r => r.Str("state") is "FAILED" or "CANCELLED",
                "the released INITIAL run to be picked up again and succeed", () => second.Output, timeout: TimeSpan.FromSeconds(120));
            Assert.Equal(runId, finished.Str("id"));
            Assert.Equal(2, finished.Int64("attempt"));

            var idle = await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token);
            Assert.Equal("IDLE", idle.Str("status"));
            var records = await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}/records?pageSize=1000", token);
            Assert.Equal(BigFiles + 3, records["data"]!.AsArray().Count); // the big files, report.csv, sub/, sub/deep.md
        }
    }

    private static HttpClient RestClient(ServerProcess server) => new() { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The Sync's only run (its INITIAL run), over REST.</summary>
    private static async Task<JsonObject> InitialRunAsync(HttpClient http, string token, string syncId)
    {
        var runs = (await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}/runs", token))["runs"]!.AsArray();
        return Assert.Single(runs)!.AsObject();
    }

    /// <summary>Reads the run's state and attempt straight from the SQLite file (no server is running).</summary>
    private static async Task<(string State, long Attempt)> ReadRunAsync(string database, string runId)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT state, attempt FROM sync_runs WHERE id = $id";
        command.Parameters.AddWithValue("$id", Guid.Parse(runId).ToString("D"));
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"Run {runId} is not in {database}.");
        return (reader.GetString(0), reader.GetInt64(1));
    }
}
