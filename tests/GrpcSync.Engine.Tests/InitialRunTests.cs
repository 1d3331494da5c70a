using System.Text.Json.Nodes;
using GrpcSync.Domain;
using GrpcSync.Engine.Tests.Infrastructure;

namespace GrpcSync.Engine.Tests;

public abstract class InitialRunTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : InitialRunTests(TestStore.Sqlite);

    public sealed class OnPostgres() : InitialRunTests(TestStore.Postgres);

    [Fact]
    public async Task An_initial_run_stores_every_file_and_folder_and_leaves_the_sync_idle_with_last_synced_at()
    {
        var alice = await H.AddFilesystemAccountAsync("alice", ("notes.md", "# notes"), ("docs/a.txt", "hello"));
        var sync = await H.EnableAsync(alice);
        Assert.Equal(SyncStatus.Initializing, sync.Status);

        Assert.Equal(1, await H.RunDueAsync());

        var after = await H.SyncAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, after.Status);
        Assert.Equal(H.Now, after.LastSyncedAt);
        Assert.Equal(H.Now, after.LastFullSyncAt);
        Assert.Null(after.Reason);
        Assert.NotNull(after.SourceCursor);
        Assert.Equal(3, after.TotalRecords);

        var records = await H.RecordsAsync(sync.Id);
        Assert.Equal(["docs", "docs/a.txt", "notes.md"], records.Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.All(records, r =>
        {
            Assert.False(r.Deleted);
            Assert.Equal(EngineHarness.RecordId(sync.Id, r.ExternalId), r.Id);
        });
        var file = JsonNode.Parse(records.Single(r => r.ExternalId == "docs/a.txt").DataJson)!;
        Assert.Equal("a.txt", file["name"]!.GetValue<string>());
        Assert.Equal(5, file["size"]!.GetValue<long>());

        var run = Assert.Single(await H.RunsAsync(sync.Id));
        Assert.Equal(RunType.Initial, run.Type);
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(1, run.Attempt);
        Assert.Equal(H.Now, run.FinishedAt);
        Assert.Null(run.LeaseOwner);
        Assert.Null(run.LeaseExpiresAt);
    }

    [Fact]
    public async Task The_sync_configuration_reaches_the_connector_and_narrows_what_is_synced()
    {
        var alice = await H.AddFilesystemAccountAsync("alice", ("notes.md", "# notes"), ("docs/a.txt", "hello"), ("docs/b.txt", "bye"));
        var sync = await H.EnableAsync(alice, configurationJson: """{"folder":"docs"}""");

        await H.RunDueAsync();

        var records = await H.RecordsAsync(sync.Id);
        Assert.Equal(["docs/a.txt", "docs/b.txt"], records.Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
    }

    [Fact]
    public async Task The_sync_is_active_while_its_run_is_working_and_idle_afterwards()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        var gate = new Gate();
        H.Fake.ThenBlock(gate);

        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();

        var during = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Active, during.Sync.Status);
        var running = Assert.Single(during.OpenRuns);
        Assert.Equal(RunState.Running, running.State);
        Assert.Equal(1, running.Attempt);
        Assert.Equal("test-worker", running.LeaseOwner);
        Assert.Equal(H.Now + H.Options.Lease, running.LeaseExpiresAt);
        Assert.Equal(1, H.Engine.InFlightCount);

        gate.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        var after = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, after.Sync.Status);
        Assert.Empty(after.OpenRuns);
        Assert.Equal(0, H.Engine.InFlightCount);
        Assert.Equal(["a"], (await H.LiveRecordsAsync(sync.Id)).Select(r => r.ExternalId));
    }

    [Fact]
    public async Task The_connector_gets_the_revealed_secret_and_the_logs_never_show_it()
    {
        const string secret = "sk-live-do-not-log-me";
        var credential = await H.AddFakeCredentialAsync(secret);
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);

        await H.RunDueAsync();

        var call = Assert.Single(H.Fake.Calls);
        Assert.Equal(FakeCallKind.Enumerate, call.Kind);
        Assert.Equal(secret, call.Secret);
        var run = Assert.Single(await H.RunsAsync(sync.Id));
        var lines = H.Logs.Lines;
        Assert.Contains(lines, l => l.Contains("started", StringComparison.Ordinal)
            && l.Contains(sync.Id.ToString(), StringComparison.Ordinal) && l.Contains(run.Id.ToString(), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("finished: succeeded", StringComparison.Ordinal) && l.Contains("1 created", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_source_that_repeats_a_record_in_one_page_stores_it_once_with_its_last_version()
    {
        var credential = await H.AddFakeCredentialAsync();
        var sync = await H.EnableAsync(credential);
        H.Fake.Then((_, _) => new[] { FakeConnector.Page("1", ("a", "first"), ("a", "second")) }.ToAsyncEnumerable());

        await H.RunDueAsync();

        var record = Assert.Single(await H.RecordsAsync(sync.Id));
        Assert.Equal("second", JsonNode.Parse(record.DataJson)!["name"]!.GetValue<string>());
        Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
    }
}
