using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>
/// How source changes reach the records: INCREMENTAL and FULL runs triggered on demand, a credential
/// change that reconciles with another account, and what deleting the Sync or its credential does.
/// </summary>
public abstract class RecordChangesTests(EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteEngineServer server) : RecordChangesTests(server), IClassFixture<SqliteEngineServer>;

    public sealed class OnPostgres(PostgresEngineServer server) : RecordChangesTests(server), IClassFixture<PostgresEngineServer>;

    [Theory, BothTransports]
    public async Task AChangedFile_AfterAnIncrementalRun_ComesAgainAfterThePreviousCursor(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var (before, last) = await Pull(synced.User, synced.SyncId, transport: transport);
        var report = before.ByExternalId("docs/report.csv");
        var bytes = synced.Account.Write("docs/report.csv", "a,b,c\n1,2,3\n4,5,6\n");

        var run = (await synced.User.TriggerSync(transport, synced.SyncId, SyncRunType.Incremental)).Ok();
        Assert.Equal(SyncRunType.Incremental, run.Type);
        await WaitForRun(synced.User, synced.SyncId, run.Id);

        var (changes, end) = await Pull(synced.User, synced.SyncId, last.Paging.Cursor, transport);
        var changed = Assert.Single(changes); // unchanged records are not written again
        Assert.Equal(report.Id(), changed.Id());
        Assert.Equal("docs/report.csv", changed.ExternalId());
        Assert.Equal(AccountDirectory.Sha256(bytes), changed.Sha256());
        Assert.NotEqual(report.Sha256(), changed.Sha256());
        Assert.Equal(bytes.Length, changed.Size());
        Assert.False(changed.Deleted());
        Assert.Equal(7, end.Paging.TotalRecords);
        Assert.Equal(7, end.Paging.TotalActiveRecords);
        Assert.True(end.Paging.LastSeen > last.Paging.LastSeen);
        Assert.Equal(changed, (await synced.User.GetSyncedRecord(transport, synced.SyncId, report.Id())).Ok().Data);
        Assert.Equal(bytes, (await synced.User.GetSyncedRecordContent(transport, synced.SyncId, report.Id())).Ok().Data.ToByteArray());
    }

    [Theory, BothTransports]
    public async Task ADeletedFile_AfterAFullRun_BecomesATombstoneAfterThePreviousCursor(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var (before, last) = await Pull(synced.User, synced.SyncId, transport: transport);
        Assert.Equal(7, last.Paging.TotalActiveRecords);
        var readme = before.ByExternalId("readme.txt");
        synced.Account.Delete("readme.txt");

        var run = (await synced.User.TriggerSync(transport, synced.SyncId, SyncRunType.Full)).Ok();
        Assert.Equal(SyncRunType.Full, run.Type);
        Assert.Equal(SyncRunTrigger.Manual, run.Trigger);
        await WaitForRun(synced.User, synced.SyncId, run.Id);

        var (changes, end) = await Pull(synced.User, synced.SyncId, last.Paging.Cursor, transport);
        var tombstone = changes.ByExternalId("readme.txt");
        Assert.Equal(readme.Id(), tombstone.Id());
        Assert.True(tombstone.Deleted(), tombstone.ToString());
        Assert.All(changes.Where(r => r.ExternalId() != "readme.txt"), r => Assert.False(r.Deleted(), r.ToString()));
        Assert.Equal(7, end.Paging.TotalRecords);
        Assert.Equal(6, end.Paging.TotalActiveRecords);
        var sync = await synced.User.Get(synced.SyncId);
        Assert.Equal(7, sync.Summary.TotalRecords);
        Assert.Equal(6, sync.Summary.SyncedRecordsCount);

        // The tombstone stays readable; its content is gone.
        Assert.True((await synced.User.GetSyncedRecord(transport, synced.SyncId, readme.Id())).Ok().Data.Deleted());
        (await synced.User.GetSyncedRecordContent(transport, synced.SyncId, readme.Id())).Fails(StatusCode.NotFound);
    }

    [Theory, BothTransports]
    public async Task RebindingToAnotherAccount_ReconcilesTheRecordsWithIt(Transport transport)
    {
        var synced = await NewSyncedAccount(a =>
        {
            a.Write("shared.txt", "from the first account");
            a.Write("only-a.txt", "a");
            a.Write("docs/a-notes.md", "# a");
        });
        var (before, _) = await Pull(synced.User, synced.SyncId);
        Assert.Equal(new[] { "docs", "docs/a-notes.md", "only-a.txt", "shared.txt" },
            before.Select(r => r.ExternalId()).Order(StringComparer.Ordinal).ToArray());
        var (_, second, secondCredential) = await NewAccount(a =>
        {
            a.Write("shared.txt", "from the second account");
            a.Write("only-b.txt", "b");
        }, synced.User, "Second account");

        (await synced.User.UpdateSync(transport, synced.SyncId, credentialId: secondCredential.Id)).Ok();

        var reconcile = Assert.Single(await synced.User.Runs(synced.SyncId), r => r.Trigger == SyncRunTrigger.CredentialChange);
        Assert.Equal(SyncRunType.Full, reconcile.Type);
        await WaitForRun(synced.User, synced.SyncId, reconcile.Id);
        await WaitUntilIdle(synced.User, synced.SyncId);

        var (after, last) = await Pull(synced.User, synced.SyncId, transport: transport);
        var byPath = after.ToDictionary(r => r.ExternalId());
        Assert.Equal(new[] { "docs", "docs/a-notes.md", "only-a.txt", "only-b.txt", "shared.txt" }, byPath.Keys.Order(StringComparer.Ordinal).ToArray());
        foreach (var gone in new[] { "docs", "docs/a-notes.md", "only-a.txt" })
        {
            Assert.True(byPath[gone].Deleted(), byPath[gone].ToString());
            Assert.Equal(before.ByExternalId(gone).Id(), byPath[gone].Id());
        }
        Assert.False(byPath["only-b.txt"].Deleted());
        var shared = byPath["shared.txt"];
        Assert.False(shared.Deleted());
        Assert.Equal(before.ByExternalId("shared.txt").Id(), shared.Id());
        Assert.Equal(AccountDirectory.Sha256(File.ReadAllBytes(second.PathOf("shared.txt"))), shared.Sha256());
        Assert.Equal(5, last.Paging.TotalRecords);
        Assert.Equal(2, last.Paging.TotalActiveRecords);
        var sync = await synced.User.Get(synced.SyncId);
        Assert.Equal(secondCredential.Id, sync.CredentialId);
        Assert.Equal(SyncStatus.Idle, sync.Status);
        Assert.Equal("from the second account"u8.ToArray(),
            (await synced.User.GetSyncedRecordContent(transport, synced.SyncId, shared.Id())).Ok().Data.ToByteArray());
    }

    [Theory, BothTransports]
    public async Task DeleteSync_DeletesItsRecords(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var readme = (await synced.User.ListSyncedRecords(transport, synced.SyncId)).Ok().Data.ByExternalId("readme.txt");

        (await synced.User.DeleteSync(transport, synced.SyncId)).Ok();

        (await synced.User.GetSyncedRecord(transport, synced.SyncId, readme.Id())).Fails(StatusCode.NotFound);
        (await synced.User.GetSyncedRecordContent(transport, synced.SyncId, readme.Id())).Fails(StatusCode.NotFound);
        (await synced.User.ListSyncedRecords(transport, synced.SyncId)).Fails(StatusCode.NotFound);

        // Enabling the same combination again gives back the id and syncs afresh: no old records linger.
        var again = (await synced.User.EnableSync(transport, FilesystemSync(synced.Credential.Id))).Ok();
        Assert.Equal(synced.SyncId, again.Id);
        await WaitUntilIdle(synced.User, again.Id);
        var (records, last) = await Pull(synced.User, again.Id, transport: transport);
        Assert.Equal(7, records.Count);
        Assert.Equal(7, last.Paging.TotalRecords);
        Assert.Equal(readme.Id(), records.ByExternalId("readme.txt").Id());
    }

    [Theory, BothTransports]
    public async Task DeletingTheCredential_MakesTheSyncErroredWithTheReferenceReason(Transport transport)
    {
        var synced = await NewSyncedAccount();
        var readme = (await synced.User.ListSyncedRecords(Transport.Grpc, synced.SyncId)).Ok().Data.ByExternalId("readme.txt");

        (await synced.User.DeleteCredential(transport, synced.Credential.Id)).Ok();

        var outcome = await synced.User.GetSync(transport, synced.SyncId);
        var sync = outcome.Ok();
        var expected = $"Credential ID [{synced.Credential.Id}] is no longer valid or has been deleted.";
        Assert.Equal(SyncStatus.Errored, sync.Status);
        Assert.Equal(expected, sync.Reason);
        Assert.Null(sync.NextRunAt);
        Assert.Null(sync.PendingRun);
        if (transport == Transport.Rest)
        {
            Assert.Equal("ERRORED", outcome.RestJson().GetProperty("status").GetString());
            Assert.Equal(expected, outcome.RestJson().GetProperty("reason").GetString());
        }

        // Stopped: nothing can be triggered, and the engine leaves it alone.
        Assert.Equal("SYNC_STOPPED", (await synced.User.TriggerSync(transport, synced.SyncId, SyncRunType.Full))
            .Fails(StatusCode.FailedPrecondition).Reason());
        // The records stay readable; content needs the credential.
        Assert.False((await synced.User.GetSyncedRecord(transport, synced.SyncId, readme.Id())).Ok().Data.Deleted());
        Assert.Equal("CREDENTIAL_GONE", (await synced.User.GetSyncedRecordContent(transport, synced.SyncId, readme.Id()))
            .Fails(StatusCode.FailedPrecondition).Reason());
        var still = await synced.User.Get(synced.SyncId);
        Assert.Equal(SyncStatus.Errored, still.Status);
        Assert.Equal(expected, still.Reason);
    }

    [Theory, BothTransports]
    public async Task ASyncOfADirectoryOutsideTheAllowedRoots_BecomesErroredWithoutNamingThem(Transport transport)
    {
        var user = NewUser();
        var outside = Directory.CreateTempSubdirectory("grpcsync-api-outside-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "private.txt"), "not for the server");
            var credential = (await user.CreateCredential(Transport.Grpc, "filesystem", "Outside", outside)).Ok();

            var sync = (await user.EnableSync(transport, FilesystemSync(credential.Id))).Ok();

            var errored = await WaitUntilErrored(user, sync.Id);
            Assert.Equal("The credential's root directory is not inside a directory this server is allowed to sync.", errored.Reason);
            Assert.DoesNotContain(Server.FilesRoot, errored.Reason, StringComparison.Ordinal);
            Assert.Null(errored.NextRunAt);
            var initial = Assert.Single(await user.Runs(sync.Id));
            Assert.Equal(SyncRunState.Failed, initial.State);
            Assert.Equal(errored.Reason, initial.Error);
            var records = (await user.ListSyncedRecords(transport, sync.Id)).Ok();
            Assert.Empty(records.Data);
            Assert.Equal(0, records.Paging.TotalRecords);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Theory, BothTransports]
    public async Task ASyncOfAConfiguredFolderThatDoesNotExist_BecomesErroredNamingIt(Transport transport)
    {
        var (user, _, credential) = await NewAccount(StandardTree);

        var sync = (await user.EnableSync(transport, FilesystemSync(credential.Id, folder: "missing"))).Ok();

        var errored = await WaitUntilErrored(user, sync.Id);
        Assert.Contains("'missing'", errored.Reason);
        Assert.Empty((await user.ListSyncedRecords(transport, sync.Id)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task ASyncOfAConfiguredFolder_HoldsOnlyThatFoldersRecords(Transport transport)
    {
        var (user, _, credential) = await NewAccount(StandardTree);

        var sync = (await user.EnableSync(transport, FilesystemSync(credential.Id, folder: "docs"))).Ok();
        await WaitUntilIdle(user, sync.Id);

        var (records, _) = await Pull(user, sync.Id, transport: transport);
        Assert.Equal(new[] { "docs/nested", "docs/nested/image.png", "docs/report.csv" },
            records.Select(r => r.ExternalId()).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("docs/nested", records.ByExternalId("docs/nested/image.png").Str("parentFolderId"));
    }
}
