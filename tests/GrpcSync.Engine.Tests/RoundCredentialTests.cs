using GrpcSync.Domain;
using GrpcSync.Engine.Tests.Infrastructure;
using GrpcSync.Storage;

namespace GrpcSync.Engine.Tests;

/// <summary>
/// A dispatch round reads its runs' credentials in one store call, after its claims: each run still sees its
/// credential as it is at its start (a rotated secret, a deletion), never a copy kept from an earlier round.
/// </summary>
public abstract class RoundCredentialTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : RoundCredentialTests(TestStore.Sqlite);

    public sealed class OnPostgres() : RoundCredentialTests(TestStore.Postgres);

    [Fact]
    public async Task The_runs_of_one_round_read_their_credentials_in_one_store_call_and_each_gets_its_own_secret()
    {
        var a = await H.AddFakeCredentialAsync("secret-a");
        var b = await H.AddFakeCredentialAsync("secret-b");
        await H.EnableAsync(a, configurationJson: """{"n":1}""", configurationName: "one");
        await H.EnableAsync(a, configurationJson: """{"n":2}""", configurationName: "two");
        await H.EnableAsync(b, configurationJson: """{"n":3}""", configurationName: "three");

        Assert.Equal(3, await H.RunDueAsync());

        Assert.Equal([2], H.EngineStore.CredentialBatches); // two distinct credentials, one read
        Assert.Equal(0, H.EngineStore.SingleCredentialReads);
        Assert.Equal([("""{"n":1}""", "secret-a"), ("""{"n":2}""", "secret-a"), ("""{"n":3}""", "secret-b")],
            H.Fake.Calls.Select(c => (c.ConfigurationJson, c.Secret)).Order());
    }

    [Fact]
    public async Task A_secret_rotated_between_two_runs_is_the_secret_the_next_run_gets()
    {
        var credential = await H.AddFakeCredentialAsync("first-secret");
        var sync = await H.EnableAsync(credential);
        Assert.Equal(1, await H.RunDueAsync());
        Assert.Equal("first-secret", Assert.Single(H.Fake.Calls).Secret);

        // What an OAuth refresh does (and what any new secret would): a compare-and-swap on the secret version.
        var tokens = (ICredentialTokenStore)H.RawEngineStore;
        Assert.True(await tokens.ReplaceSecretAsync(credential.Id, credential.SecretVersion, "second-secret", holder: null));
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        Assert.Equal(1, await H.RunDueAsync());

        Assert.Equal(["first-secret", "second-secret"], H.Fake.Calls.Select(c => c.Secret));
        Assert.Equal(RunState.Succeeded, (await H.RunsAsync(sync.Id))[^1].State);
    }

    [Fact]
    public async Task A_credential_deleted_after_one_round_is_not_used_by_a_run_of_a_later_round_that_claimed_before_the_deletion()
    {
        var credential = await H.AddFakeCredentialAsync();
        var other = await H.AddFakeCredentialAsync("other-secret");
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        var bystander = await H.EnableAsync(other, configurationName: "bystander");
        Assert.Equal(2, await H.RunDueAsync()); // the first round read both credentials
        H.AdvanceTo((await H.SyncAsync(sync.Id)).NextRunAt!.Value);
        H.AdvanceTo(new[] { H.Now, (await H.SyncAsync(bystander.Id)).NextRunAt!.Value }.Max());
        var gate = new Gate();
        H.EngineStore.BeforeCredentialRead = gate;
        Assert.Equal(2, await H.Engine.DispatchOnceAsync()); // claimed: both RUNNING, their credentials not read yet
        await gate.WaitEnteredAsync();

        Assert.True(await H.DeleteCredentialAsync(credential.Id));
        H.EngineStore.BeforeCredentialRead = null;
        gate.Release();
        await H.Engine.WhenIdleAsync().WaitAsync(Timeout);

        var run = (await H.RunsAsync(sync.Id))[^1];
        Assert.Equal(RunState.Cancelled, run.State);
        Assert.Equal(SyncStatus.Errored, (await H.SyncAsync(sync.Id)).Status);
        Assert.Equal(3, H.Fake.Calls.Count); // both first runs, then only the bystander's second
        Assert.Equal("other-secret", H.Fake.Calls[^1].Secret);
        Assert.Equal(RunState.Succeeded, (await H.RunsAsync(bystander.Id))[^1].State);
    }

    [Fact]
    public async Task When_the_rounds_credential_read_fails_each_run_reads_its_own_and_succeeds()
    {
        var a = await H.AddFakeCredentialAsync("secret-a");
        var b = await H.AddFakeCredentialAsync("secret-b");
        var first = await H.EnableAsync(a);
        var second = await H.EnableAsync(b, configurationName: "second");
        H.EngineStore.FailCredentialBatches = true;

        Assert.Equal(2, await H.RunDueAsync());

        Assert.Equal(2, H.EngineStore.SingleCredentialReads);
        Assert.Equal(["secret-a", "secret-b"], H.Fake.Calls.Select(c => c.Secret).Order());
        Assert.Equal(RunState.Succeeded, Assert.Single(await H.RunsAsync(first.Id)).State);
        Assert.Equal(RunState.Succeeded, Assert.Single(await H.RunsAsync(second.Id)).State);
        Assert.Contains(H.Logs.Lines, m => m.Contains("Reading the 2 credentials of a dispatch round failed", StringComparison.Ordinal));
    }
}
