using Google.Protobuf.WellKnownTypes;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>A filesystem account synced by a real engine: the user, the directory, its credential and Sync.</summary>
public sealed record SyncedAccount(TestUser User, AccountDirectory Account, Credential Credential, Sync Sync)
{
    public string SyncId => Sync.Id;
}

/// <summary>
/// Base of the tests that need the engine (<see cref="EngineServerFixture"/>): filesystem Syncs over
/// temp directories, and polling helpers that wait for the engine instead of sleeping.
/// </summary>
public abstract class EngineApiTest(EngineServerFixture server)
{
    protected EngineServerFixture Server { get; } = server;

    protected TestUser NewUser() => Server.NewUser();

    /// <summary>
    /// The standard tree: 5 files and 2 folders (7 records).
    /// <code>
    /// data.json  docs/  docs/nested/  docs/nested/image.png  docs/report.csv  empty.bin  readme.txt
    /// </code>
    /// </summary>
    protected static void StandardTree(AccountDirectory account)
    {
        account.Write("readme.txt", "hello, world\n");
        account.Write("data.json", """{"a":1}""");
        account.Write("empty.bin", []);
        account.Write("docs/report.csv", "a,b\n1,2\n");
        account.Write("docs/nested/image.png", Enumerable.Range(0, 1024).Select(i => (byte)(i % 256)).ToArray());
    }

    protected static readonly string[] StandardExternalIds =
        ["data.json", "docs", "docs/nested", "docs/nested/image.png", "docs/report.csv", "empty.bin", "readme.txt"];

    /// <summary>A new account directory filled by <paramref name="fill"/>, a filesystem credential for it, and a new user unless given.</summary>
    protected async Task<(TestUser User, AccountDirectory Account, Credential Credential)> NewAccount(
        Action<AccountDirectory> fill, TestUser? user = null, string displayName = "Files")
    {
        user ??= NewUser();
        var account = Server.NewAccount();
        fill(account);
        var credential = (await user.CreateCredential(Transport.Grpc, "filesystem", displayName, account.Root)).Ok();
        return (user, account, credential);
    }

    /// <summary>Creates an account (the standard tree by default), enables a filesystem Sync on it and waits for its INITIAL run.</summary>
    protected async Task<SyncedAccount> NewSyncedAccount(Action<AccountDirectory>? fill = null, TestUser? user = null,
        Transport transport = Transport.Grpc)
    {
        var (owner, account, credential) = await NewAccount(fill ?? StandardTree, user);
        var sync = (await owner.EnableSync(transport, FilesystemSync(credential.Id))).Ok();
        var idle = await WaitUntilIdle(owner, sync.Id);
        return new SyncedAccount(owner, account, credential, idle);
    }

    /// <summary>A filesystem/files Sync of the whole account (or <paramref name="folder"/>), with a 1h frequency.</summary>
    protected static EnableSyncRequest FilesystemSync(string credentialId, string? folder = null)
    {
        var request = new EnableSyncRequest
        {
            Integration = "filesystem",
            Pipeline = "files",
            Configuration = new Struct(),
            CredentialId = credentialId,
            // No scheduled run interferes with what a test triggers.
            IncrementalAccumulatorFrequency = "1h",
        };
        if (folder is not null)
        {
            request.Configuration.Fields["folder"] = Value.ForString(folder);
        }
        return request;
    }

    /// <summary>Polls GetSync until the Sync is ERRORED (its INITIAL run failed for good).</summary>
    protected Task<Sync> WaitUntilErrored(TestUser user, string syncId) =>
        Eventually.Until(() => user.Get(syncId), s => s.Status == SyncStatus.Errored,
            $"Sync {syncId} to be ERRORED", s => s.ToString(), context: () => Server.EngineLog());

    /// <summary>Polls GetSync until the Sync is IDLE with summary.lastSyncedAt set; fails at once if it is ERRORED.</summary>
    protected Task<Sync> WaitUntilIdle(TestUser user, string syncId) =>
        Eventually.Until(
            async () =>
            {
                var sync = await user.Get(syncId);
                Assert.True(sync.Status != SyncStatus.Errored, $"The Sync became ERRORED: {sync.Reason}{Environment.NewLine}{Server.EngineLog()}");
                return sync;
            },
            s => s.Status == SyncStatus.Idle && s.Summary.LastSyncedAt is not null,
            $"Sync {syncId} to be IDLE with summary.lastSyncedAt",
            s => s.ToString(),
            context: () => Server.EngineLog());

    /// <summary>Polls ListSyncRuns until the run finished; asserts it SUCCEEDED.</summary>
    protected async Task<SyncRun> WaitForRun(TestUser user, string syncId, string runId)
    {
        var run = await Eventually.Until(
            async () => (await user.Runs(syncId)).FirstOrDefault(r => r.Id == runId),
            r => r is { State: SyncRunState.Succeeded or SyncRunState.Failed or SyncRunState.Cancelled },
            $"run {runId} of Sync {syncId} to finish",
            r => r?.ToString() ?? "(not listed)",
            context: () => Server.EngineLog());
        Assert.True(run!.State == SyncRunState.Succeeded, $"Run {runId} ended {run}{Environment.NewLine}{Server.EngineLog()}");
        return run;
    }

    /// <summary>Every record after <paramref name="cursor"/> (all pages, gRPC) and the last page.</summary>
    protected static async Task<(List<Struct> Records, ListSyncedRecordsResponse Last)> Pull(TestUser user, string syncId,
        string cursor = "", Transport transport = Transport.Grpc)
    {
        var records = new List<Struct>();
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 100, "More than 100 pages: the cursor does not advance.");
            var page = (await user.ListSyncedRecords(transport, syncId, pageSize: 1000, cursor: cursor)).Ok();
            records.AddRange(page.Data);
            if (page.Paging.RemainingRecords == 0)
            {
                return (records, page);
            }
            cursor = page.Paging.Cursor;
        }
    }
}

/// <summary>Reading the fields of a record (a google.protobuf.Struct).</summary>
public static class RecordFields
{
    public static string Str(this Struct record, string field) =>
        record.Fields.TryGetValue(field, out var value) && value.KindCase == Value.KindOneofCase.StringValue
            ? value.StringValue
            : throw new Xunit.Sdk.XunitException($"No string field '{field}' in {record}");

    public static string Id(this Struct record) => record.Str("id");

    public static string ExternalId(this Struct record) => record.Str("externalId");

    public static bool Deleted(this Struct record) => record.Fields["deleted"].BoolValue;

    public static long Size(this Struct record) => (long)record.Fields["size"].NumberValue;

    public static string? Sha256(this Struct record) =>
        record.Fields.TryGetValue("hash", out var hash) ? hash.StructValue.Fields["sha256"].StringValue : null;

    public static Struct ByExternalId(this IEnumerable<Struct> records, string externalId) =>
        Assert.Single(records, r => r.ExternalId() == externalId);
}
