using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>
/// The s3 integration end to end inside the host: structured credentials over REST and gRPC, and Syncs the real
/// engine runs against real s3rver servers (on both stores).
/// </summary>
public abstract class S3SyncTests(S3EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteS3EngineServer server) : S3SyncTests(server), IClassFixture<SqliteS3EngineServer>;

    public sealed class OnPostgres(PostgresS3EngineServer server) : S3SyncTests(server), IClassFixture<PostgresS3EngineServer>;

    private S3EngineServerFixture S3Server => (S3EngineServerFixture)Server;

    private static string CreateBody(string secretJson, bool verify = false) =>
        $$"""{"integration":"s3","displayName":"Data lake","secret":{{secretJson}}{{(verify ? ",\"verify\":true" : "")}}}""";

    /// <summary>CreateCredential with the secret as a JSON object (REST) or a Struct in the Value (gRPC).</summary>
    private static Task<Outcome<Credential>> CreateS3Credential(TestUser user, Transport transport, string secretJson, bool verify = false)
    {
        if (transport == Transport.Rest)
        {
            return user.RestCall<Credential>(HttpMethod.Post, "/api/credentials", CreateBody(secretJson, verify));
        }
        return user.CreateCredential(transport, new CreateCredentialRequest
        {
            Integration = "s3",
            DisplayName = "Data lake",
            Secret = Value.ForStruct(Struct.Parser.ParseJson(secretJson)),
            Verify = verify,
        });
    }

    private static EnableSyncRequest S3Sync(string credentialId, string bucket, string? prefix = null)
    {
        var request = new EnableSyncRequest
        {
            Integration = "s3",
            Pipeline = "files",
            Configuration = new Struct { Fields = { ["bucket"] = Value.ForString(bucket) } },
            CredentialId = credentialId,
            IncrementalAccumulatorFrequency = "1h",
        };
        if (prefix is not null)
        {
            request.Configuration.Fields["prefix"] = Value.ForString(prefix);
        }
        return request;
    }

    private async Task<(TestUser User, S3TestBucket Bucket, Sync Sync)> NewSyncedBucket(Func<S3TestBucket, Task> fill)
    {
        var user = NewUser();
        var bucket = await S3Server.NewBucketAsync();
        await fill(bucket);
        var credential = (await CreateS3Credential(user, Transport.Grpc, bucket.SecretJson())).Ok();
        var sync = (await user.EnableSync(Transport.Grpc, S3Sync(credential.Id, bucket.Name))).Ok();
        return (user, bucket, await WaitUntilIdle(user, sync.Id));
    }

    private static async Task Tree(S3TestBucket bucket)
    {
        await bucket.PutAsync("readme.txt", "hello, world\n");
        await bucket.PutAsync("docs/report.csv", "a,b\n1,2\n");
        await bucket.PutAsync("docs/nested/image.png", "png");
    }

    // ---- Structured credentials ----

    [Theory, BothTransports]
    public async Task CreateCredential_WithAnS3SecretObject_IsStored_AndNeverReturned(Transport transport)
    {
        var bucket = await S3Server.NewBucketAsync();

        var outcome = await CreateS3Credential(NewUser(), transport, bucket.SecretJson());

        var credential = outcome.Ok();
        Assert.Equal("s3", credential.Integration);
        if (transport == Transport.Rest)
        {
            Assert.DoesNotContain("S3RVER", outcome.Text, StringComparison.Ordinal);
            Assert.False(outcome.RestJson().TryGetProperty("secret", out _));
        }
    }

    [Theory, BothTransports]
    public async Task CreateCredential_WithMissingAndIllTypedS3Fields_NamesEachOne(Transport transport)
    {
        var outcome = await CreateS3Credential(NewUser(), transport, """{"secretAccessKey":7,"region":"us-east-1","bucket":"x"}""");

        var error = outcome.Fails(StatusCode.InvalidArgument);
        Assert.Equal("INVALID_ARGUMENT", error.Reason());
        Assert.Contains("required", error.Violation("secret.accessKeyId"), StringComparison.Ordinal);
        Assert.Contains("string", error.Violation("secret.secretAccessKey"), StringComparison.Ordinal);
        error.Violation("secret.bucket");
    }

    [Theory, BothTransports]
    public async Task CreateCredential_ForS3_WithAPlainStringSecret_IsInvalid(Transport transport)
    {
        var outcome = transport == Transport.Rest
            ? await NewUser().RestCall<Credential>(HttpMethod.Post, "/api/credentials", """{"integration":"s3","displayName":"x","secret":"AKIA:secret"}""")
            : await NewUser().CreateCredential(transport, "s3", "x", "AKIA:secret");

        outcome.Fails(StatusCode.InvalidArgument).Violation("secret");
    }

    [Theory, BothTransports]
    public async Task CreateCredential_WithAnEndpointOutsideTheAllowList_IsInvalid_NamingTheRule(Transport transport)
    {
        var outcome = await CreateS3Credential(NewUser(), transport,
            """{"accessKeyId":"a","secretAccessKey":"s","region":"us-east-1","endpoint":"http://169.254.169.254"}""");

        var description = outcome.Fails(StatusCode.InvalidArgument).Violation("secret.endpoint");
        Assert.Contains("AllowedEndpoints", description, StringComparison.Ordinal);
    }

    [Theory, BothTransports]
    public async Task CreateCredential_WithVerify_AndAnUnknownKey_IsCredentialRejected_AndNothingIsStored(Transport transport)
    {
        var user = NewUser();
        var bucket = await S3Server.NewBucketAsync();

        var outcome = await CreateS3Credential(user, transport, bucket.SecretJson(accessKeyId: "NOT-A-KEY"), verify: true);

        Assert.Equal("CREDENTIAL_REJECTED", outcome.Fails(StatusCode.InvalidArgument).Reason());
        Assert.Empty((await user.ListCredentials(Transport.Grpc)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task CreateCredential_WithVerify_AndGoodKeys_IsStored(Transport transport)
    {
        var bucket = await S3Server.NewBucketAsync();

        (await CreateS3Credential(NewUser(), transport, bucket.SecretJson(), verify: true)).Ok();
    }

    [Fact]
    public async Task CreateCredential_OverRest_WithAStringSecret_StillWorksForTheFilesystem()
    {
        var user = NewUser();
        var account = Server.NewAccount();
        account.Write("a.txt", "a");
        var body = $$"""{"integration":"filesystem","displayName":"Files","secret":{{System.Text.Json.JsonSerializer.Serialize(account.Root)}}}""";

        var credential = (await user.RestCall<Credential>(HttpMethod.Post, "/api/credentials", body)).Ok();
        var sync = (await user.EnableSync(Transport.Grpc, FilesystemSync(credential.Id))).Ok();

        await WaitUntilIdle(user, sync.Id);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("true")]
    [InlineData("[\"a\"]")]
    [InlineData("null")]
    [InlineData("{}")]
    public async Task CreateCredential_OverRest_WithASecretThatIsNeitherStringNorObject_IsInvalid(string secret)
    {
        var outcome = await NewUser().RestCall<Credential>(HttpMethod.Post, "/api/credentials",
            $$"""{"integration":"googledrive","displayName":"x","secret":{{secret}}}""");

        outcome.Fails(StatusCode.InvalidArgument).Violation("secret");
    }

    [Fact]
    public async Task CreateCredential_WithBothSecretFields_IsInvalid()
    {
        var outcome = await NewUser().RestCall<Credential>(HttpMethod.Post, "/api/credentials",
            """{"integration":"googledrive","displayName":"x","secret":"a","secretText":"b"}""");

        Assert.Equal(400, outcome.HttpStatus);
    }

    // ---- Enable-time configuration ----

    [Theory, BothTransports]
    public async Task EnableSync_WithoutABucket_IsInvalid_NamingConfigurationBucket(Transport transport)
    {
        var user = NewUser();
        var bucket = await S3Server.NewBucketAsync();
        var credential = (await CreateS3Credential(user, Transport.Grpc, bucket.SecretJson())).Ok();
        var request = S3Sync(credential.Id, bucket.Name);
        request.Configuration.Fields.Remove("bucket");
        request.Configuration.Fields["prefix"] = Value.ForNumber(3);

        var error = (await user.EnableSync(transport, request)).Fails(StatusCode.InvalidArgument);

        error.Violation("configuration.bucket");
        error.Violation("configuration.prefix");
    }

    // ---- Runs ----

    [Fact]
    public async Task InitialSync_OfNestedKeys_StoresFilesAndFolders()
    {
        var (user, _, sync) = await NewSyncedBucket(Tree);

        var (records, _) = await Pull(user, sync.Id);

        Assert.Equal(["docs/", "docs/nested/", "docs/nested/image.png", "docs/report.csv", "readme.txt"],
            records.Select(r => r.ExternalId()).Order(StringComparer.Ordinal).ToArray());
        var report = records.ByExternalId("docs/report.csv");
        Assert.Equal("report.csv", report.Str("name"));
        Assert.Equal("text/csv", report.Str("mimeType"));
        Assert.Equal(8, report.Size());
        Assert.Equal("docs/", report.Str("parentFolderId"));
        Assert.NotEmpty(report.Fields["hash"].StructValue.Fields["etag"].StringValue);
        Assert.Equal("inode/directory", records.ByExternalId("docs/nested/").Str("mimeType"));
    }

    [Fact]
    public async Task ObjectsChangedAddedAndDeleted_IncrementalWritesChanges_FullReconcilesDeletions()
    {
        var (user, bucket, sync) = await NewSyncedBucket(Tree);
        await bucket.PutAsync("readme.txt", "hello again, a longer text\n");
        await bucket.PutAsync("docs/added.txt", "new");
        await bucket.DeleteAsync("docs/report.csv");

        var incremental = (await user.TriggerSync(Transport.Grpc, sync.Id, SyncRunType.Incremental)).Ok();
        await WaitForRun(user, sync.Id, incremental.Id);
        var (afterIncremental, _) = await Pull(user, sync.Id);

        Assert.Equal(27, afterIncremental.ByExternalId("readme.txt").Size());
        Assert.False(afterIncremental.ByExternalId("docs/added.txt").Deleted());
        Assert.False(afterIncremental.ByExternalId("docs/report.csv").Deleted()); // S3 has no change feed: FULL finds deletions

        var full = (await user.TriggerSync(Transport.Grpc, sync.Id, SyncRunType.Full)).Ok();
        await WaitForRun(user, sync.Id, full.Id);
        var (afterFull, _) = await Pull(user, sync.Id);

        Assert.True(afterFull.ByExternalId("docs/report.csv").Deleted());
        Assert.False(afterFull.ByExternalId("readme.txt").Deleted());
    }

    [Fact]
    public async Task ContentTypes_AreReadWithOneHeadPerNewOrChangedObject_AndNoneForUnchangedOnes()
    {
        var proxy = S3Server.SlowDownProxy; // passes requests through and remembers them
        var user = NewUser();
        var bucket = await S3Server.NewBucketAsync();
        await bucket.PutAsync("data/export.bin", "a,b\n1,2\n", "text/csv");
        await bucket.PutAsync("data/notes.md", "# notes", "text/markdown; charset=utf-8");
        await bucket.PutAsync("kept.txt", "same");
        var credential = (await CreateS3Credential(user, Transport.Grpc, bucket.SecretJson(endpoint: proxy.Endpoint))).Ok();
        var sync = (await user.EnableSync(Transport.Grpc, S3Sync(credential.Id, bucket.Name))).Ok();
        int Heads() => proxy.Requests.Count(r => r.RequestLine.StartsWith("HEAD ", StringComparison.Ordinal)
                                                && r.RequestLine.Contains($"/{bucket.Name}/", StringComparison.Ordinal));
        await WaitUntilIdle(user, sync.Id);

        var (initial, _) = await Pull(user, sync.Id);
        Assert.Equal("text/csv", initial.ByExternalId("data/export.bin").Str("mimeType"));
        Assert.Equal("text/markdown", initial.ByExternalId("data/notes.md").Str("mimeType"));
        Assert.Equal(3, Heads()); // one per object, none for the folder

        var unchanged = (await user.TriggerSync(Transport.Grpc, sync.Id, SyncRunType.Incremental)).Ok();
        await WaitForRun(user, sync.Id, unchanged.Id);
        Assert.Equal(3, Heads()); // the engine holds every object's fingerprint: no HEAD

        await bucket.PutAsync("data/export.bin", "a,b\n1,2\n3,4\n", "application/vnd.ms-excel");
        var changed = (await user.TriggerSync(Transport.Grpc, sync.Id, SyncRunType.Incremental)).Ok();
        await WaitForRun(user, sync.Id, changed.Id);
        Assert.Equal(4, Heads());
        var (after, _) = await Pull(user, sync.Id);
        Assert.Equal("application/vnd.ms-excel", after.ByExternalId("data/export.bin").Str("mimeType"));
    }

    [Fact]
    public async Task ACredentialChange_ToAnotherServersBucket_ReconcilesTheRecords()
    {
        var (user, bucket, sync) = await NewSyncedBucket(Tree);
        var other = await S3Server.NewBucketAsync(S3Server.OtherS3, bucket.Name); // same bucket name, another account
        await other.PutAsync("readme.txt", "other account\n");
        await other.PutAsync("only-there.txt", "x");
        var credential = (await CreateS3Credential(user, Transport.Grpc, other.SecretJson())).Ok();

        (await user.UpdateSync(Transport.Grpc, sync.Id, credentialId: credential.Id)).Ok();
        await Eventually.Until(async () => (await Pull(user, sync.Id)).Records,
            records => records.Any(r => r.ExternalId() == "only-there.txt") && records.ByExternalId("docs/report.csv").Deleted(),
            "the records to follow the other bucket", records => string.Join(", ", records.Select(r => $"{r.ExternalId()}:{r.Deleted()}")),
            context: () => Server.EngineLog());

        var (records, _) = await Pull(user, sync.Id);
        Assert.Equal(["only-there.txt", "readme.txt"],
            records.Where(r => !r.Deleted()).Select(r => r.ExternalId()).Order(StringComparer.Ordinal).ToArray());
    }

    [Theory, BothTransports]
    public async Task Content_OfAnObject_IsItsBytes(Transport transport)
    {
        var (user, _, sync) = await NewSyncedBucket(Tree);
        var (records, _) = await Pull(user, sync.Id);

        var content = (await user.GetSyncedRecordContent(transport, sync.Id, records.ByExternalId("docs/report.csv").Id())).Ok();

        Assert.Equal("a,b\n1,2\n", Encoding.UTF8.GetString(content.Data.Span));
    }

    [Theory, BothTransports]
    public async Task Content_OfAMultiMiBObject_IsStreamedWhole_AndByRangesTheSourceServes(Transport transport)
    {
        var big = ContentStreams.Pattern(ContentStreams.MultiMiB);
        var (user, _, sync) = await NewSyncedBucket(bucket => bucket.PutAsync("data/big.bin", big));
        var (records, _) = await Pull(user, sync.Id);
        var recordId = records.ByExternalId("data/big.bin").Id();

        var whole = await user.DownloadContent(transport, sync.Id, recordId);
        Assert.True(big.AsSpan().SequenceEqual(whole.Ok()), $"{whole.Bytes.Length} bytes differ from the object's {big.Length}");
        Assert.Equal(big.Length, whole.ContentLength);

        foreach (var (range, first, last) in ContentStreams.Ranges(big.Length))
        {
            ContentStreams.AssertSlice(await user.DownloadContent(transport, sync.Id, recordId, range), big, first, last, range);
        }

        var unsatisfiable = await user.DownloadContent(transport, sync.Id, recordId, $"bytes={big.Length + 5}-");
        Assert.Equal(StatusCode.OutOfRange, unsatisfiable.Code);
        Assert.Equal("RANGE_NOT_SATISFIABLE", unsatisfiable.Failure!.Error!.Reason());
        if (transport == Transport.Rest)
        {
            Assert.Equal(416, unsatisfiable.HttpStatus);
            Assert.Equal($"bytes */{big.Length}", unsatisfiable.ContentRange);
        }
    }

    [Fact]
    public async Task RejectedKeys_MakeTheSyncErrored_WithTheSourcesReason()
    {
        var user = NewUser();
        var bucket = await S3Server.NewBucketAsync();
        var credential = (await CreateS3Credential(user, Transport.Grpc, bucket.SecretJson(accessKeyId: "NOT-A-KEY"))).Ok();
        var sync = (await user.EnableSync(Transport.Grpc, S3Sync(credential.Id, bucket.Name))).Ok();

        var errored = await WaitUntilErrored(user, sync.Id);

        Assert.Contains("credential was rejected", errored.Reason, StringComparison.Ordinal);
        Assert.Contains("InvalidAccessKeyId", errored.Reason, StringComparison.Ordinal);
        Assert.Equal(("CREDENTIAL_REJECTED", errored.Reason), await SyncErroredAsync(user, sync.Id));
    }

    /// <summary>The code and message of the Sync's last sync_errored event.</summary>
    private static async Task<(string Code, string Message)> SyncErroredAsync(TestUser user, string syncId)
    {
        var events = (await user.ListSyncEvents(Transport.Grpc, syncId, pageSize: 1000)).Ok().Data;
        var error = events.Last(e => e.Fields["event"].StringValue == "sync_errored").Fields["data"].StructValue.Fields["error"].StructValue;
        return (error.Fields["code"].StringValue, error.Fields["message"].StringValue);
    }

    [Fact]
    public async Task AMissingBucket_MakesTheSyncErrored()
    {
        var user = NewUser();
        var bucket = await S3Server.NewBucketAsync();
        var credential = (await CreateS3Credential(user, Transport.Grpc, bucket.SecretJson())).Ok();
        var sync = (await user.EnableSync(Transport.Grpc, S3Sync(credential.Id, "no-such-bucket-anywhere"))).Ok();

        var errored = await WaitUntilErrored(user, sync.Id);

        Assert.Contains("'no-such-bucket-anywhere' does not exist", errored.Reason, StringComparison.Ordinal);
        Assert.Equal(("BUCKET_NOT_FOUND", errored.Reason), await SyncErroredAsync(user, sync.Id));
    }
}
