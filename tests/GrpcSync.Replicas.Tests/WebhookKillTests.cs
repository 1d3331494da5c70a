using System.Data.Common;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.EndToEnd.Tests.Infrastructure;
using GrpcSync.Replicas.Tests.Infrastructure;
using GrpcSync.Testing.Postgres;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit.Abstractions;

namespace GrpcSync.Replicas.Tests;

/// <summary>
/// Webhook delivery survives kill -9: a FULL run logs thousands of record events while the server delivers
/// them; the server is killed (SIGKILL) mid-way and started again. Afterwards every event committed to the
/// database has reached the receiver at least once and nothing that is not in the database ever did. On
/// PostgreSQL with two replicas, each attempt is sent by one replica: the receiver never sees one webhook-id
/// twice at the same time.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WebhookKillTests(PostgresServerFixture postgres, ITestOutputHelper output)
{
    private const int Files = 6000;

    private static Dictionary<string, string> Settings(string store, string root) => new()
    {
        ["GrpcSync__Engine__PollInterval"] = "00:00:00.200",
        ["GrpcSync__Engine__Lease"] = "00:00:03",
        ["GrpcSync__Webhooks__AllowPrivateNetworks"] = "true",
        ["GrpcSync__Webhooks__Timeout"] = "00:00:02",
        ["GrpcSync__Webhooks__LeaseDuration"] = "00:00:05",
        ["GrpcSync__Webhooks__PollInterval"] = "00:00:00.100",
        ["GrpcSync__Webhooks__RetrySchedule__0"] = "00:00:00.500",
        ["GrpcSync__Webhooks__RetrySchedule__1"] = "00:00:01",
        ["GrpcSync__Webhooks__RetrySchedule__2"] = "00:00:02",
        ["GrpcSync__Store__Provider"] = store,
        // SQLite: one file every start of the replica opens; PostgreSQL: the cluster's database.
        ["GrpcSync__Store__ConnectionString"] = store == "Sqlite" ? $"Data Source={Path.Combine(root, "shared.db")}" : "",
    };

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("Postgres")]
    public async Task Killed_mid_run_and_restarted_every_committed_event_is_delivered_and_none_that_was_not(string store)
    {
        var root = Directory.CreateTempSubdirectory("grpcsync-webhook-kill-").FullName;
        var settings = Settings(store, root);
        if (store == "Postgres")
        {
            settings.Remove("GrpcSync__Store__ConnectionString"); // the cluster's own
        }
        await using var cluster = await ReplicaCluster.CreateAsync(postgres, settings);
        cluster.Log = output.WriteLine;
        var connectionString = store == "Sqlite" ? settings["GrpcSync__Store__ConnectionString"] : cluster.ConnectionString;
        var a = await cluster.StartReplicaAsync("A");
        var (receiver, syncId, api) = await StartScenarioAsync(cluster, a, store, connectionString);
        await using var _r = receiver;

        // Kill while the FULL run is writing pages: some record events committed, the rest still to come.
        await WaitUntilAsync(TimeSpan.FromSeconds(60), "the first committed record events", async () =>
            (await QueryStringsAsync(store, connectionString,
                $"SELECT event_id FROM sync_events WHERE sync_id = '{syncId}' AND event_type = 'record_created' LIMIT 1")).Count > 0
                ? null : "none yet", poll: TimeSpan.FromMilliseconds(5));
        await a.KillAsync();
        var runningAtKill = (await QueryStringsAsync(store, connectionString,
            $"SELECT COALESCE(SUM(event_count), 0) FROM sync_events WHERE sync_id = '{syncId}' AND event_type = 'record_created'")).Single() +
            " record events committed";
        output.WriteLine($"killed A (SIGKILL) after {RecordArrivals(receiver)} record arrivals, {runningAtKill} at the kill");
        using var apiAfter = cluster.Client(await cluster.StartReplicaAsync("A"), "hooked-user");

        await AssertEverythingDeliveredAsync(receiver, apiAfter, syncId, store, connectionString);
        Assert.Equal(0, receiver.ConcurrentDuplicates);
        api.Dispose();
    }

    [Fact]
    public async Task Two_replicas_on_postgres_one_killed_each_attempt_is_sent_by_one_replica_and_everything_arrives()
    {
        var root = Directory.CreateTempSubdirectory("grpcsync-webhook-kill-").FullName;
        var settings = Settings("Postgres", root);
        settings.Remove("GrpcSync__Store__ConnectionString");
        await using var cluster = await ReplicaCluster.CreateAsync(postgres, settings);
        cluster.Log = output.WriteLine;
        var startA = cluster.StartReplicaAsync("A");
        var startB = cluster.StartReplicaAsync("B");
        var a = await startA;
        var b = await startB;
        var (receiver, syncId, api) = await StartScenarioAsync(cluster, a, "Postgres", cluster.ConnectionString);
        await using var _r = receiver;

        await WaitUntilAsync(TimeSpan.FromSeconds(60), "the first record deliveries", () => Task.FromResult(
            RecordArrivals(receiver) >= 200 ? null : $"{RecordArrivals(receiver)} record events arrived"));
        await a.KillAsync();
        output.WriteLine($"killed A (SIGKILL) after {RecordArrivals(receiver)} record arrivals; B carries on");
        using var apiB = cluster.Client(b, "hooked-user");

        await AssertEverythingDeliveredAsync(receiver, apiB, syncId, "Postgres", cluster.ConnectionString);
        Assert.Equal(0, receiver.ConcurrentDuplicates);
        var senders = b.Lines.Count; // B's output is the evidence it worked on; the receiver saw no overlap
        output.WriteLine($"receiver: {receiver.Arrivals.Count} arrivals, max {receiver.MaxInFlight} in flight, B wrote {senders} lines");
        api.Dispose();
    }

    /// <summary>
    /// An endpoint (secret protected with the replicas' shared Data Protection keys), then a filesystem Sync whose
    /// INITIAL run is over, then <see cref="Files"/> new files and a FULL run: one record_created event each.
    /// </summary>
    private async Task<(WebhookReceiver Receiver, string SyncId, SyncClient Api)> StartScenarioAsync(ReplicaCluster cluster,
        ServerProcess replica, string store, string connectionString)
    {
        var api = cluster.Client(replica, "hooked-user");
        var account = Directory.CreateDirectory(Path.Combine(cluster.AccountsRoot, "hooked")).FullName;
        File.WriteAllText(Path.Combine(account, "first.txt"), "first");
        var credentialId = await api.CreateFilesystemCredentialAsync(account, "Hooked"); // the replica makes its key ring first

        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var receiver = await WebhookReceiver.StartAsync(secret);
        var protector = DataProtectionProvider.Create(new DirectoryInfo(cluster.KeysDirectory), b => b.SetApplicationName("GrpcSync"))
            .CreateProtector("GrpcSync.Webhooks.Secret.v1");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await ExecuteAsync(store, connectionString, $"""
            INSERT INTO webhook_endpoints (id, project_id, url, description, event_types, enabled, secret, created_at, updated_at)
            VALUES ('{Guid.NewGuid():D}', '{TestSigningKey.ProjectId}', '{receiver.Url}', 'kill test', '', TRUE, '{protector.Protect(secret)}', {now}, {now})
            """);

        var syncId = (await api.EnableFilesSyncAsync("hooked", credentialId)).Str("id");
        await WaitUntilAsync(TimeSpan.FromSeconds(60), "the INITIAL run", async () =>
            (await api.GetSyncAsync(syncId))["status"]?.GetValue<string>() == "IDLE" ? null : "not IDLE yet");
        Parallel.For(0, Files, i => File.WriteAllText(Path.Combine(account, $"file-{i:00000}.txt"), $"file {i}\n"));
        await api.TriggerAsync(syncId, "FULL");
        return (receiver, syncId, api);
    }

    private async Task AssertEverythingDeliveredAsync(WebhookReceiver receiver, SyncClient api, string syncId, string store,
        string connectionString)
    {
        var clock = Stopwatch.StartNew();
        await WaitUntilAsync(TimeSpan.FromSeconds(180), "the FULL run to finish", async () =>
            await RunStateAsync(api, syncId) == "SUCCEEDED" ? null : await RunStateAsync(api, syncId));
        HashSet<string> committed = [];
        await WaitUntilAsync(TimeSpan.FromSeconds(180), "every committed event at the receiver", async () =>
        {
            committed = [.. await CommittedEventIdsAsync(store, connectionString, syncId)];
            var missing = committed.Except(receiver.Arrivals.Select(x => x.Id)).Count();
            return missing == 0 ? null : $"{missing} of {committed.Count} committed events not delivered yet";
        });
        var arrivals = receiver.Arrivals;
        var delivered = arrivals.Select(x => x.Id).ToHashSet();
        Assert.True(committed.Count >= Files, $"only {committed.Count} events committed");
        Assert.Empty(delivered.Except(committed)); // nothing that is not in the database was ever sent
        Assert.All(arrivals, x => Assert.True(x.Verified));
        var records = arrivals.Count(x => JsonDocument.Parse(x.Body).RootElement.GetProperty("event").GetString() == "record_created");
        output.WriteLine($"{committed.Count} committed events all delivered ({arrivals.Count} arrivals, {arrivals.Count - delivered.Count} " +
                         $"duplicates, {records} record_created arrivals) {clock.ElapsedMilliseconds} ms after the restart");
    }

    private static int RecordArrivals(WebhookReceiver receiver) =>
        receiver.Arrivals.Count(x => x.Body.Contains("\"event\":\"record_created\"", StringComparison.Ordinal));

    private static async Task<string> RunStateAsync(SyncClient api, string syncId) =>
        (await api.ListRunsAsync(syncId)).FirstOrDefault(r => r["type"]?.GetValue<string>() == "FULL")?["state"]?.GetValue<string>() ?? "(none)";

    private static DbConnection Open(string store, string connectionString)
    {
        DbConnection connection = store == "Sqlite" ? new SqliteConnection(connectionString) : new NpgsqlConnection(connectionString);
        connection.Open();
        return connection;
    }

    private static async Task ExecuteAsync(string store, string connectionString, string sql)
    {
        await using var connection = Open(store, connectionString);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> QueryStringsAsync(string store, string connectionString, string sql)
    {
        await using var connection = Open(store, connectionString);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!.ToLowerInvariant());
        }
        return values;
    }

    /// <summary>
    /// The ids of every event the log holds for the Sync, read from the table itself: a row's own id, or, for a
    /// row of several events (event_count > 1), the ids in its members array.
    /// </summary>
    private static async Task<List<string>> CommittedEventIdsAsync(string store, string connectionString, string syncId)
    {
        await using var connection = Open(store, connectionString);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT event_id, event_count, data_json FROM sync_events WHERE sync_id = '{syncId}'";
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<string>();
        while (await reader.ReadAsync())
        {
            if (Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture) == 1)
            {
                ids.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!.ToLowerInvariant());
                continue;
            }
            using var members = JsonDocument.Parse(reader.GetString(2));
            ids.AddRange(members.RootElement.EnumerateArray().Select(m => m.GetProperty("id").GetString()!.ToLowerInvariant()));
        }
        return ids;
    }

    private static async Task WaitUntilAsync(TimeSpan timeout, string what, Func<Task<string?>> check, TimeSpan? poll = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var missing = await check();
            if (missing is null)
            {
                return;
            }
            Assert.True(deadline.Elapsed < timeout, $"Timed out after {timeout.TotalSeconds:0} s waiting for {what}: {missing}");
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(200));
        }
    }
}
