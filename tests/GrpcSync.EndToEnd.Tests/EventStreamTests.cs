using System.Text.Json.Nodes;
using GrpcSync.EndToEnd.Tests.Infrastructure;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>
/// WatchSyncEvents against the real process: read by `buf curl` through reflection until the Sync's
/// deletion ends it, and the README's SIGTERM promise: open streams (gRPC and REST) end cleanly, and a new
/// process resumes from the last cursor with nothing missed or repeated.
/// </summary>
public sealed class EventStreamTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string WatchSyncEvents = "grpcsync.v1.SyncService/WatchSyncEvents";
    private const string DeleteSync = "grpcsync.v1.SyncService/DeleteSync";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string Type(JsonObject message) => message["event"]!.AsObject().Str("event");

    private static long Sequence(JsonObject message) => message["event"]!.AsObject().Int64("sequence")!.Value;

    [Fact]
    public async Task Buf_curl_reads_a_sync_stream_live_until_the_syncs_deletion_ends_it_ok()
    {
        var token = fixture.NewUserToken();
        var grpc = fixture.Server.GrpcBaseAddress;
        var credential = await BufCurl.CallOkAsync(grpc, Methods.CreateCredential,
            new JsonObject { ["integration"] = "filesystem", ["displayName"] = "Files", ["secret"] = fixture.NewAccount() }.ToJsonString(), token);
        var sync = await BufCurl.CallOkAsync(grpc, Methods.EnableSync, new JsonObject
        {
            ["integration"] = "filesystem",
            ["pipeline"] = "files",
            ["credentialId"] = credential.Str("id"),
            ["incrementalAccumulatorFrequency"] = "1h",
        }.ToJsonString(), token);
        var syncId = sync.Str("id");

        await using var stream = BufCurlStream.Start(grpc, WatchSyncEvents, new JsonObject { ["syncId"] = syncId }.ToJsonString(), token);
        var seen = new List<JsonObject> { await stream.NextAsync(Wait) }; // the INITIAL run's events are there or coming
        await BufCurl.CallOkAsync(grpc, Methods.UpdateSync, new JsonObject { ["syncId"] = syncId, ["incrementalAccumulatorFrequency"] = "6h" }.ToJsonString(), token);
        while (Type(seen[^1]) != "sync_updated")
        {
            seen.Add(await stream.NextAsync(Wait));
        }
        await BufCurl.CallOkAsync(grpc, DeleteSync, new JsonObject { ["syncId"] = syncId }.ToJsonString(), token);
        while (Type(seen[^1]) != "sync_deleted")
        {
            seen.Add(await stream.NextAsync(Wait));
        }

        var exitCode = await stream.ExitCodeAsync(Wait);
        Assert.True(exitCode == 0, $"The stream should end OK after sync_deleted; buf curl exited {exitCode}:{Environment.NewLine}{stream.StdErr}");
        Assert.Empty(stream.Unread());
        Assert.Equal(Enumerable.Range(1, seen.Count).Select(i => (long)i), seen.Select(Sequence));
        Assert.Contains("run_started", seen.Select(Type));
        Assert.All(seen, m => Assert.Equal(["cursor", "event"], m.Keys().Order(StringComparer.Ordinal)));
        Assert.All(seen, m => Assert.Equal(syncId, m["event"]!.AsObject().Str("syncInstanceId")));
    }

    [Fact]
    public async Task SIGTERM_ends_open_streams_cleanly_and_a_new_process_resumes_from_the_last_cursor()
    {
        using var environment = new TestEnvironment();
        var token = environment.Key.CreateToken("stream-user");
        var account = environment.NewAccount();
        string syncId, lastCursor;
        long lastSequence;

        await using (var first = await environment.StartServerAsync())
        {
            using var http = new HttpClient { BaseAddress = first.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var credential = await Rest.OkAsync(http, HttpMethod.Post, "api/credentials", token,
                new JsonObject { ["integration"] = "filesystem", ["displayName"] = "Files", ["secret"] = account });
            syncId = (await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, new JsonObject
            {
                ["integration"] = "filesystem",
                ["pipeline"] = "files",
                ["credentialId"] = credential.Str("id"),
                ["incrementalAccumulatorFrequency"] = "1h",
            })).Str("id");
            await Poll.UntilAsync(() => Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token),
                s => s.Str("status") == "IDLE", s => s.Str("status") == "ERRORED", $"Sync {syncId} to become IDLE", () => first.Output);

            using var rest = await RestLineStream.OpenAsync(http, $"api/syncs/{syncId}/events/watch", token);
            await using var grpc = BufCurlStream.Start(first.GrpcBaseAddress, WatchSyncEvents, new JsonObject { ["syncId"] = syncId }.ToJsonString(), token);
            await Rest.OkAsync(http, HttpMethod.Post, $"api/syncs/{syncId}/disable", token);
            var restSeen = new List<JsonObject>();
            do
            {
                restSeen.Add(await rest.NextAsync(Wait) ?? throw new Xunit.Sdk.XunitException("The REST stream ended early."));
            }
            while (Type(restSeen[^1]) != "sync_disabled");
            var grpcSeen = new List<JsonObject>();
            do
            {
                grpcSeen.Add(await grpc.NextAsync(Wait));
            }
            while (Type(grpcSeen[^1]) != "sync_disabled");

            var exitCode = await first.StopAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode == 0, $"SIGTERM should stop the server gracefully (exit code 0), got {exitCode}:{Environment.NewLine}{first.Output}");

            // The REST stream ends (a clean end of the chunked body, not a reset) and buf curl sees status OK.
            Assert.Null(await rest.NextAsync(Wait));
            var curlExit = await grpc.ExitCodeAsync(Wait);
            Assert.True(curlExit == 0, $"buf curl should see the stream end OK at shutdown, exited {curlExit}:{Environment.NewLine}{grpc.StdErr}");
            Assert.Empty(grpc.Unread());
            // The same events with the same cursors (buf curl prints a Struct's keys in its own order).
            Assert.Equal(restSeen.Select(m => (m["event"]!.AsObject().Str("eventId"), m.Str("cursor"))),
                grpcSeen.Select(m => (m["event"]!.AsObject().Str("eventId"), m.Str("cursor"))));
            Assert.Equal(Enumerable.Range(1, restSeen.Count).Select(i => (long)i), restSeen.Select(Sequence));
            lastCursor = restSeen[^1].Str("cursor");
            lastSequence = Sequence(restSeen[^1]);
        }

        await using (var second = await environment.StartServerAsync())
        {
            using var http = new HttpClient { BaseAddress = second.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            await Rest.OkAsync(http, HttpMethod.Post, $"api/syncs/{syncId}/reenable", token);
            using var resumed = await RestLineStream.OpenAsync(http, $"api/syncs/{syncId}/events/watch?cursor={Uri.EscapeDataString(lastCursor)}", token);
            var next = await resumed.NextAsync(Wait) ?? throw new Xunit.Sdk.XunitException("The resumed stream ended.");
            Assert.Equal((lastSequence + 1, "sync_reenabled"), (Sequence(next), Type(next)));
        }
    }
}
