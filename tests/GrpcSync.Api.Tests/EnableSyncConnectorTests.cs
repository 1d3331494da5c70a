using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>EnableSync checks the request against the integration's connector before anything is stored.</summary>
public abstract class EnableSyncConnectorTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : EnableSyncConnectorTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : EnableSyncConnectorTests(server), IClassFixture<PostgresServer>;

    [Theory, BothTransports]
    public async Task EnableSync_OfAnUnknownIntegration_IsInvalidArgumentNamingItAndListingTheAvailableOnes(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential("dropbox", "No connector for this one");

        var outcome = await user.EnableSync(transport, TestUser.EnableRequest(integration: "dropbox"));

        var error = outcome.Fails(StatusCode.InvalidArgument);
        var description = error.Violation("integration");
        Assert.Contains("'dropbox'", description);
        Assert.Contains("filesystem, googledrive, hubspot, s3, salesforce", description);
        Assert.Contains("dropbox", error.Message);
        Assert.Empty((await user.ListSyncs(transport)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task EnableSync_OfAnUnknownIntegration_IsRejectedBeforeTheCredentialIsLookedUp(Transport transport)
    {
        // Without any credential the answer would be NO_CREDENTIAL (FAILED_PRECONDITION): the connector check comes first.
        var outcome = await NewUser().EnableSync(transport, TestUser.EnableRequest(integration: "dropbox"));

        outcome.Fails(StatusCode.InvalidArgument).Violation("integration");
    }

    [Theory, BothTransports]
    public async Task EnableSync_OfAPipelineTheConnectorLacks_IsInvalidArgumentListingItsPipelines(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential();

        var outcome = await user.EnableSync(transport, TestUser.EnableRequest(pipeline: "tickets"));

        var description = outcome.Fails(StatusCode.InvalidArgument).Violation("pipeline");
        Assert.Contains("'tickets'", description);
        Assert.Contains("'googledrive'", description);
        Assert.Contains("contacts, files, folders", description);
        Assert.Empty((await user.ListSyncs(transport)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task EnableSync_OfTheFilesystemIntegrationWithAnotherPipeline_IsInvalidArgumentListingFiles(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential("filesystem", "Files");

        var outcome = await user.EnableSync(transport, FilesystemRequest("contacts", new Struct()));

        var description = outcome.Fails(StatusCode.InvalidArgument).Violation("pipeline");
        Assert.Contains("'contacts'", description);
        Assert.EndsWith("it has: files.", description);
    }

    [Theory, BothTransports]
    public async Task EnableSync_OfTheFilesystemIntegrationWithAFolderOutsideTheRoot_IsInvalidArgumentOnConfigurationFolder(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential("filesystem", "Files");

        var outcome = await user.EnableSync(transport, FilesystemRequest("files", Folder("../x")));

        var error = outcome.Fails(StatusCode.InvalidArgument);
        Assert.Equal(new[] { "configuration.folder" }, error.ViolatedFields());
        Assert.False(string.IsNullOrWhiteSpace(error.Violation("configuration.folder")));
        Assert.Empty((await user.ListSyncs(transport)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task EnableSync_OfTheFilesystemIntegrationWithAnUnknownSetting_IsInvalidArgumentNamingIt(Transport transport)
    {
        var user = NewUser();
        await user.NewCredential("filesystem", "Files");

        var outcome = await user.EnableSync(transport,
            FilesystemRequest("files", new Struct { Fields = { ["depth"] = Value.ForNumber(2) } }));

        Assert.Contains("folder", outcome.Fails(StatusCode.InvalidArgument).Violation("configuration.depth"));
    }

    [Theory, BothTransports]
    public async Task EnableSync_OfTheFilesystemIntegration_AcceptsAnEmptyOrARelativeFolderConfiguration(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential("filesystem", "Files");

        var whole = FilesystemRequest("files", new Struct());
        whole.CredentialId = credential.Id;
        var folder = FilesystemRequest("files", Folder("projects/2024"));
        folder.ConfigurationName = "projects";

        var wholeSync = (await user.EnableSync(transport, whole)).Ok();
        var folderSync = (await user.EnableSync(transport, folder)).Ok();

        Assert.Equal("filesystem", wholeSync.Integration);
        Assert.Equal(SyncStatus.Initializing, wholeSync.Status);
        Assert.Equal(credential.Id, wholeSync.CredentialId);
        Assert.Equal("projects/2024", folderSync.Configuration.Fields["folder"].StringValue);
        Assert.Equal(2, (await user.ListSyncs(transport)).Ok().Data.Count);
    }

    [Fact]
    public async Task EnableSync_OverRest_WithAConfigurationThatIsNotAnObject_IsInvalidArgument()
    {
        var user = NewUser();
        await user.NewCredential("filesystem", "Files");

        var response = await user.Rest(HttpMethod.Post, "/api/syncs", """{"integration":"filesystem","pipeline":"files","configuration":"x"}""");

        Assert.Equal(400, response.Status);
    }

    private static EnableSyncRequest FilesystemRequest(string pipeline, Struct configuration) =>
        new() { Integration = "filesystem", Pipeline = pipeline, Configuration = configuration };

    private static Struct Folder(string folder) => new() { Fields = { ["folder"] = Value.ForString(folder) } };
}
