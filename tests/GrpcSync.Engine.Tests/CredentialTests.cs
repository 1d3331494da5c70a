using GrpcSync.Domain;
using GrpcSync.Connectors;
using GrpcSync.Engine.Tests.Infrastructure;

namespace GrpcSync.Engine.Tests;

public abstract class CredentialTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : CredentialTests(TestStore.Sqlite);

    public sealed class OnPostgres() : CredentialTests(TestStore.Postgres);

    [Fact]
    public async Task A_credential_change_runs_exactly_one_full_sync_that_tombstones_what_the_new_account_cannot_see()
    {
        var alice = await H.AddFilesystemAccountAsync("alice", ("shared.txt", "from alice"), ("only-alice.txt", "a"));
        var bob = await H.AddFilesystemAccountAsync("bob", ("shared.txt", "from bob!"), ("only-bob.txt", "b"));
        var sync = await H.EnableAsync(alice);
        await H.RunDueAsync();
        var before = await H.RecordsAsync(sync.Id);
        var sharedId = before.Single(r => r.ExternalId == "shared.txt").Id;
        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromSeconds(10));

        var outcome = await H.UpdateAsync(sync.Id, credentialId: bob.Id);

        Assert.NotNull(outcome.QueuedFullRun);
        Assert.Equal(1, await H.RunDueAsync());
        Assert.Equal(0, await H.RunDueAsync());

        var runs = await H.RunsAsync(sync.Id);
        Assert.Equal([RunType.Initial, RunType.Full], runs.Select(r => r.Type));
        Assert.Equal(RunTrigger.CredentialChange, runs[1].Trigger);
        Assert.Equal(RunState.Succeeded, runs[1].State);

        var after = await H.RecordsAsync(sync.Id);
        Assert.Equal(3, after.Count);
        Assert.True(after.Single(r => r.ExternalId == "only-alice.txt").Deleted);
        var shared = after.Single(r => r.ExternalId == "shared.txt");
        Assert.False(shared.Deleted);
        Assert.Equal(sharedId, shared.Id);
        Assert.Contains("\"size\":9", shared.DataJson, StringComparison.Ordinal); // bob's version of the file
        var onlyBob = after.Single(r => r.ExternalId == "only-bob.txt");
        Assert.False(onlyBob.Deleted);
        Assert.Equal(EngineHarness.RecordId(sync.Id, "only-bob.txt"), onlyBob.Id);

        var state = await H.SyncAsync(sync.Id);
        Assert.Equal(bob.Id, state.CredentialId);
        Assert.Equal(SyncStatus.Idle, state.Status);
        Assert.Equal(H.Now, state.LastFullSyncAt);
    }

    [Fact]
    public async Task Deleting_the_credential_errors_the_sync_with_the_exact_reason_and_stops_its_schedule()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        await H.RunDueAsync();

        Assert.True(await H.DeleteCredentialAsync(credential.Id));

        var errored = await H.SyncAsync(sync.Id);
        Assert.Equal(SyncStatus.Errored, errored.Status);
        Assert.Equal($"Credential ID [{credential.Id}] is no longer valid or has been deleted.", errored.Reason);
        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromMinutes(10));
        Assert.Equal(0, await H.RunDueAsync());
        Assert.Single(await H.RunsAsync(sync.Id));
        Assert.Single(await H.LiveRecordsAsync(sync.Id)); // records stay
    }

    [Fact]
    public async Task A_run_in_flight_when_its_credential_is_deleted_stops_at_its_next_lease_renewal_and_the_sync_stays_errored()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        await H.RunDueAsync();
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        var gate = new Gate();
        H.Fake.ThenBlock(gate);
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();

        Assert.True(await H.DeleteCredentialAsync(credential.Id));
        H.Time.Advance(H.Options.Lease / 3);
        Assert.False(await H.EngineStore.NextRenewalAsync());
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        Assert.True(gate.SawCancellation);
        var run = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal(RunState.Cancelled, run.State);
        Assert.Equal("Cancelled: the credential was deleted.", run.Error);
        var state = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Errored, state.Sync.Status);
        Assert.Equal(SyncRules.CredentialGoneReason(credential.Id), state.Sync.Reason);
        Assert.Empty(state.OpenRuns);
    }

    // A credential deleted during a run leaves that run CANCELLED, with the reason, whatever the worker
    // does next: CredentialDeleted cancels it in the transaction that deletes the credential, and every
    // later write of the worker (page, finish) is fenced on the run still RUNNING under its attempt.

    [Fact]
    public async Task A_run_in_flight_in_the_connector_when_its_credential_is_deleted_is_cancelled_though_the_connector_then_returns_records()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        await H.RunDueAsync();
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        H.Fake.Put("b", "B"); // a change the in-flight run will hand over
        var gate = new Gate();
        H.Fake.ThenBlock(gate);
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();

        Assert.True(await H.DeleteCredentialAsync(credential.Id));
        gate.Release(); // before any lease renewal: the worker's next write is its page
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        var run = (await H.RunsAsync(sync.Id))[^1];
        AssertCancelledByTheDeletion(run, RunType.Incremental);
        await AssertErroredForTheDeletedCredential(sync.Id, credential.Id);
        var (_, result) = Assert.Single(H.EngineStore.PageWrites, w => w.Page.RunId == run.Id);
        Assert.True(result.Fenced, "The in-flight run's page was written after its credential was deleted.");
        Assert.DoesNotContain(await H.RecordsAsync(sync.Id), r => r.ExternalId == "b");
    }

    [Fact]
    public async Task A_run_in_flight_in_the_connector_when_its_credential_is_deleted_is_cancelled_though_the_connector_then_fails_permanently()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        await H.RunDueAsync();
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        var gate = new Gate();
        // The source revoked the account too: the run would end FAILED if its finish were not fenced.
        H.Fake.ThenBlockThenThrow(gate, new PermanentSourceException("CREDENTIAL_REJECTED", "The account no longer exists."));
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();

        Assert.True(await H.DeleteCredentialAsync(credential.Id));
        gate.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        AssertCancelledByTheDeletion((await H.RunsAsync(sync.Id))[^1], RunType.Incremental);
        await AssertErroredForTheDeletedCredential(sync.Id, credential.Id);
        Assert.Contains(H.Logs.Lines, m => m.Contains("permanent failure: The account no longer exists. (not recorded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_whose_credential_is_deleted_between_its_claim_and_the_workers_credential_read_is_cancelled_not_failed()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        var gate = new Gate();
        H.EngineStore.BeforeCredentialRead = gate;
        Assert.Equal(1, await H.Engine.DispatchOnceAsync()); // the INITIAL run is claimed: RUNNING
        await gate.WaitEnteredAsync();
        Assert.Equal(RunState.Running, Assert.Single(await H.RunsAsync(sync.Id)).State);

        Assert.True(await H.DeleteCredentialAsync(credential.Id));
        H.EngineStore.BeforeCredentialRead = null;
        gate.Release(); // the worker now finds the credential gone: a permanent failure it must not record
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        AssertCancelledByTheDeletion(Assert.Single(await H.RunsAsync(sync.Id)), RunType.Initial);
        await AssertErroredForTheDeletedCredential(sync.Id, credential.Id);
        Assert.Empty(H.Fake.Calls); // never reached the source
        Assert.Empty(await H.RecordsAsync(sync.Id));
        Assert.Contains(H.Logs.Lines, m => m.Contains($"permanent failure: {SyncRules.CredentialGoneReason(credential.Id)} (not recorded",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_whose_credential_is_deleted_while_its_success_waits_in_the_group_commit_is_cancelled_not_succeeded()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        var batch = new Gate();
        H.EngineStore.BeforeBatch = batch;
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await batch.WaitEnteredAsync(); // every page is written; the run's SUCCEEDED ending waits to be committed

        Assert.True(await H.DeleteCredentialAsync(credential.Id));
        H.EngineStore.BeforeBatch = null;
        batch.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        AssertCancelledByTheDeletion(Assert.Single(await H.RunsAsync(sync.Id)), RunType.Initial);
        await AssertErroredForTheDeletedCredential(sync.Id, credential.Id);
        Assert.Null((await H.SyncAsync(sync.Id)).LastSyncedAt); // the success was not recorded
        Assert.Contains(H.Logs.Lines, m => m.Contains("finished: succeeded (not recorded", StringComparison.Ordinal));
    }

    private static void AssertCancelledByTheDeletion(SyncRun run, RunType type)
    {
        Assert.Equal((type, RunState.Cancelled), (run.Type, run.State));
        Assert.Equal("Cancelled: the credential was deleted.", run.Error);
        Assert.NotNull(run.FinishedAt);
        Assert.Null(run.LeaseOwner);
    }

    private async Task AssertErroredForTheDeletedCredential(Guid syncId, Guid credentialId)
    {
        var state = await H.SnapshotAsync(syncId);
        Assert.Equal(SyncStatus.Errored, state.Sync.Status);
        Assert.Equal($"Credential ID [{credentialId}] is no longer valid or has been deleted.", state.Sync.Reason);
        Assert.Null(state.Sync.NextRunAt);
        Assert.Empty(state.OpenRuns);
        Assert.Equal(0, await H.RunDueAsync()); // and nothing runs any more
    }

    [Fact]
    public async Task A_run_whose_credential_vanished_without_the_sync_being_told_fails_permanently_with_the_exact_reason()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        // The credential row is deleted but the bound Sync is left as it was (as if its update were lost):
        // the worker's own check must catch it when the run starts.
        Assert.True(await H.Store.DeleteCredentialAsync(EngineHarness.Scope, credential.Id, H.Now, s => SyncChange<Sync>.Nothing(s.Sync)));
        Assert.Equal(SyncStatus.Initializing, (await H.SyncAsync(sync.Id)).Status);

        Assert.Equal(1, await H.RunDueAsync());

        var reason = $"Credential ID [{credential.Id}] is no longer valid or has been deleted.";
        var run = Assert.Single(await H.RunsAsync(sync.Id));
        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal(reason, run.Error);
        var state = await H.SyncAsync(sync.Id);
        Assert.Equal(SyncStatus.Errored, state.Status);
        Assert.Equal(reason, state.Reason);
        Assert.Null(state.NextRunAt);
        Assert.Empty(H.Fake.Calls);
    }

    [Fact]
    public async Task A_run_whose_old_credential_was_deleted_after_a_rebind_is_released_instead_of_erroring_the_sync()
    {
        var oldCredential = await H.AddFakeCredentialAsync("old-secret");
        var newCredential = await H.AddFakeCredentialAsync("new-secret");
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(oldCredential);
        await H.RunDueAsync();
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);

        // The worker claims its run with the old binding, then the user rebinds and deletes the old account.
        var gate = new Gate();
        H.EngineStore.BeforeCredentialRead = gate;
        Assert.Equal(1, await H.Engine.DispatchOnceAsync());
        await gate.WaitEnteredAsync();
        await H.UpdateAsync(sync.Id, credentialId: newCredential.Id);
        Assert.True(await H.DeleteCredentialAsync(oldCredential.Id));
        H.EngineStore.BeforeCredentialRead = null;
        gate.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        var state = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, state.Sync.Status);
        Assert.Null(state.Sync.Reason);
        Assert.Contains(state.OpenRuns, r => r.Type == RunType.Incremental && r.State == RunState.Queued && r.DueAt == H.Now);
        Assert.Contains(state.OpenRuns, r => r.Type == RunType.Full && r.Trigger == RunTrigger.CredentialChange);

        // The reconcile with the new account and the released incremental, one per round (never overlapping).
        Assert.Equal(1, await H.RunDueAsync());
        Assert.Equal(1, await H.RunDueAsync());
        Assert.Equal(0, await H.RunDueAsync());
        Assert.All(H.Fake.Calls.Skip(1), c => Assert.Equal("new-secret", c.Secret));
        Assert.Equal(SyncStatus.Idle, (await H.SyncAsync(sync.Id)).Status);
    }

    [Fact]
    public async Task Reenabling_an_errored_sync_after_binding_a_new_credential_recovers_it_with_a_full_run()
    {
        var oldCredential = await H.AddFakeCredentialAsync("old-secret");
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(oldCredential);
        await H.RunDueAsync();
        await H.DeleteCredentialAsync(oldCredential.Id);
        var newCredential = await H.AddFakeCredentialAsync("new-secret");
        H.AdvanceTo(EngineHarness.Start + TimeSpan.FromMinutes(2));

        var update = await H.UpdateAsync(sync.Id, credentialId: newCredential.Id);
        Assert.NotNull(update.QueuedFullRun);
        Assert.Equal(0, await H.RunDueAsync()); // still ERRORED: nothing runs before the re-enable
        await H.ReenableAsync(sync.Id);
        Assert.Equal(1, await H.RunDueAsync());

        var state = await H.SnapshotAsync(sync.Id);
        Assert.Equal(SyncStatus.Idle, state.Sync.Status);
        Assert.Null(state.Sync.Reason);
        Assert.Equal(newCredential.Id, state.Sync.CredentialId);
        Assert.Empty(state.OpenRuns);
        var last = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal((RunType.Full, RunTrigger.CredentialChange, RunState.Succeeded), (last.Type, last.Trigger, last.State));
        Assert.Equal("new-secret", H.Fake.Calls[^1].Secret);
        Assert.Equal(0, await H.RunDueAsync());
    }
}
