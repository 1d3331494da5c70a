using GrpcSync.Domain;
using GrpcSync.Engine.Configuration;
using GrpcSync.Engine.Dispatching;

namespace GrpcSync.Connectors.GoogleDrive.Tests;

/// <summary>
/// The engine with the Drive connector on a real store (both stores): initial sync, the changes feed's change and
/// removal tombstoned by an incremental run, a revoked grant erroring every Sync on the credential
/// (CREDENTIAL_REJECTED, sync_errored), and a PATCH with a new credential that recovers with a FULL reconcile.
/// </summary>
public abstract class EngineFlowTests(TestStore store) : DriveTest(store)
{
    public sealed class OnSqlite() : EngineFlowTests(TestStore.Sqlite);

    public sealed class OnPostgres() : EngineFlowTests(TestStore.Postgres);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private SyncEngine NewEngine() => new(W.Store, new ConnectorRegistry([W.Connector]), W.Secrets, TimeProvider.System,
        Microsoft.Extensions.Options.Options.Create(new EngineOptions { WorkerId = "drive-test-worker" }), W.LoggerFactory,
        accessTokens: W.Tokens());

    private static async Task RunDueAsync(SyncEngine engine)
    {
        await engine.DispatchOnceAsync().WaitAsync(Timeout);
        await engine.WhenIdleAsync().WaitAsync(Timeout);
    }

    private async Task<Sync> EnableAsync(Credential credential, string name, string configuration = "{}")
    {
        var (sync, run) = SyncRules.Enable(DriveWorld.Scope, GoogleDriveConnector.IntegrationName, "files", name, configuration, credential.Id, null,
            DateTimeOffset.UtcNow);
        return (await W.Store.InsertSyncAsync(sync, run)).Sync;
    }

    private async Task TriggerAsync(Guid syncId, RunType type)
    {
        var now = DateTimeOffset.UtcNow;
        Assert.NotNull(await W.Store.MutateSyncAsync(DriveWorld.Scope, syncId, s => RunRules.Trigger(s, type, now)));
    }

    private async Task<Sync> SyncAsync(Guid id) => (await W.Store.GetSyncAsync(DriveWorld.Scope, id))!.Sync;

    private async Task<IReadOnlyList<SyncRecord>> RecordsAsync(Guid syncId) =>
        (await W.Store.ListRecordsAsync(DriveWorld.Scope, syncId, 0, 1000))!.Records;

    [Fact]
    public async Task Initial_then_incremental_with_a_removal_then_revocation_errors_every_sync_and_a_new_credential_recovers()
    {
        W.Drive.Put("a", "a.txt", content: "a");
        W.Drive.Put("b", "b.txt", content: "b");
        var (credential, refresh) = await W.AddCredentialAsync();
        var main = await EnableAsync(credential, "main");
        var other = await EnableAsync(credential, "other");
        using var engine = NewEngine();

        await RunDueAsync(engine);
        Assert.Equal(SyncStatus.Idle, (await SyncAsync(main.Id)).Status);
        Assert.Equal(["a", "b"], (await RecordsAsync(main.Id)).Where(r => !r.Deleted).Select(r => r.ExternalId).Order(StringComparer.Ordinal));

        // A change and a removal in the feed: one INCREMENTAL run updates b and tombstones a at once.
        W.Drive.Change("b", f => f.Content = "b, edited"u8.ToArray());
        W.Drive.Delete("a");
        await TriggerAsync(main.Id, RunType.Incremental);
        await RunDueAsync(engine);
        var records = await RecordsAsync(main.Id);
        Assert.True(records.Single(r => r.ExternalId == "a").Deleted);
        Assert.Contains("\"size\":9", records.Single(r => r.ExternalId == "b").DataJson, StringComparison.Ordinal);
        var events = (await W.Store.ListSyncEventsAsync(DriveWorld.Scope, main.Id, 0, 1000))!.Events;
        Assert.Contains(events, e => e.Type == EventTypes.RecordDeleted);
        Assert.Equal(SyncStatus.Idle, (await SyncAsync(main.Id)).Status);

        // The user revokes the grant: the next refresh gets invalid_grant and every Sync on the credential stops.
        W.Drive.Revoke(refresh);
        W.Drive.ExpireAccessTokens();
        await TriggerAsync(main.Id, RunType.Incremental);
        await TriggerAsync(other.Id, RunType.Incremental);
        await RunDueAsync(engine);
        foreach (var id in new[] { main.Id, other.Id })
        {
            var errored = await SyncAsync(id);
            Assert.Equal(SyncStatus.Errored, errored.Status);
            Assert.Equal(SyncRules.CredentialRejectedReason, errored.Reason);
            var log = (await W.Store.ListSyncEventsAsync(DriveWorld.Scope, id, 0, 1000))!.Events;
            var syncErrored = Assert.Single(log, e => e.Type == EventTypes.SyncErrored);
            Assert.Contains("\"code\":\"CREDENTIAL_REJECTED\"", syncErrored.DataJson, StringComparison.Ordinal);
            Assert.Contains("Credentials are no longer valid. Please re-authenticate", syncErrored.DataJson, StringComparison.Ordinal);
        }
        Assert.Equal(2, W.Drive.TokenCalls); // the initial refresh and the one that found the grant revoked

        // Re-authenticated: a PATCH binding the new credential resumes the Sync with one FULL reconcile.
        W.Drive.Put("c", "c.txt", content: "c");
        var (fresh, _) = await W.AddCredentialAsync();
        var now = DateTimeOffset.UtcNow;
        var update = await W.Store.MutateSyncAsync(DriveWorld.Scope, main.Id, s => SyncRules.Update(s, new UpdateSyncCommand(fresh.Id, null, null), now));
        Assert.NotNull(update!.Result.QueuedFullRun);
        Assert.Equal(SyncStatus.Idle, (await SyncAsync(main.Id)).Status);
        await RunDueAsync(engine);

        var recovered = await SyncAsync(main.Id);
        Assert.Equal(SyncStatus.Idle, recovered.Status);
        Assert.Null(recovered.Reason);
        Assert.Equal(fresh.Id, recovered.CredentialId);
        Assert.Equal(["b", "c"], (await RecordsAsync(main.Id)).Where(r => !r.Deleted).Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.Equal(SyncStatus.Errored, (await SyncAsync(other.Id)).Status); // not rebound: still waiting for its user
        Assert.DoesNotContain(W.Logs.Lines, l => l.Contains(refresh, StringComparison.Ordinal));
    }
}
