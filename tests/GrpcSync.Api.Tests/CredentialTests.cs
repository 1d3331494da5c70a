using System.Text.Json;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

public abstract class CredentialTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : CredentialTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : CredentialTests(server), IClassFixture<PostgresServer>;

    private const string Secret = "ya29.super-secret-refresh-token";

    [Theory, BothTransports]
    public async Task CreateCredential_ReturnsTheCredentialWithoutItsSecret(Transport transport)
    {
        var user = NewUser();

        var outcome = await user.CreateCredential(transport, "googledrive", "Work Drive", Secret);

        var credential = outcome.Ok();
        Assert.True(Guid.TryParseExact(credential.Id, "D", out _), $"id is not a UUID: {credential.Id}");
        Assert.Equal("googledrive", credential.Integration);
        Assert.Equal("Work Drive", credential.DisplayName);
        Assert.Equal(user.UserId, credential.UserId);
        Assert.Equal(ServerFixture.ProjectA, credential.ProjectId);
        Assert.NotNull(credential.DateCreated);
        Assert.InRange(credential.DateCreated.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.DoesNotContain(Secret, credential.ToString());
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal(credential.Id, json.GetProperty("id").GetString());
            Assert.Equal("googledrive", json.GetProperty("integration").GetString());
            Assert.Equal("Work Drive", json.GetProperty("displayName").GetString());
            Assert.Equal(JsonValueKind.String, json.GetProperty("dateCreated").ValueKind);
            Assert.False(json.TryGetProperty("secret", out _), "The REST body has a 'secret' key.");
            Assert.DoesNotContain(Secret, outcome.Text);
        }
    }

    [Theory, BothTransports]
    public async Task ListCredentials_ReturnsTheCallersCredentialsInData(Transport transport)
    {
        var user = NewUser();
        var first = await user.NewCredential("googledrive", "First");
        await Task.Delay(5);
        var second = await user.NewCredential("salesforce", "Second");
        await NewUser().NewCredential(); // someone else's

        var outcome = await user.ListCredentials(transport);

        var list = outcome.Ok();
        Assert.Equal(new[] { first.Id, second.Id }, list.Data.Select(c => c.Id).ToArray());
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal(new[] { "data" }, json.Keys());
            Assert.Equal(2, json.GetProperty("data").GetArrayLength());
            Assert.DoesNotContain(Secret, outcome.Text);
            Assert.DoesNotContain("s3cret-token", outcome.Text);
        }
    }

    [Fact]
    public async Task ListCredentials_OverRest_OfAUserWithoutCredentials_IsAnEmptyDataArray()
    {
        var response = await NewUser().Rest(HttpMethod.Get, "/api/credentials");

        Assert.Equal(200, response.Status);
        Assert.True(response.Body.TryGetProperty("data", out var data), $"no 'data' key in {response.Text}");
        Assert.Equal(System.Text.Json.JsonValueKind.Array, data.ValueKind);
        Assert.Equal(0, data.GetArrayLength());
    }

    [Theory, BothTransports]
    public async Task GetCredential_ReturnsTheStoredCredential(Transport transport)
    {
        var user = NewUser();
        var created = await user.NewCredential("hubspot", "CRM");

        var credential = (await user.GetCredential(transport, created.Id)).Ok();

        Assert.Equal(created.Id, credential.Id);
        Assert.Equal("hubspot", credential.Integration);
        Assert.Equal("CRM", credential.DisplayName);
        Assert.Equal(user.UserId, credential.UserId);
        Assert.Equal(ServerFixture.ProjectA, credential.ProjectId);
        Assert.NotNull(credential.DateCreated);
    }

    [Theory, BothTransports]
    public async Task CreateCredential_AnswersWithTheSameDateCreatedThatGetAndListReturnLater(Transport transport)
    {
        var user = NewUser();

        var created = (await user.CreateCredential(transport)).Ok();

        var fetched = (await user.GetCredential(transport, created.Id)).Ok();
        var listed = Assert.Single((await user.ListCredentials(transport)).Ok().Data);
        Assert.Equal(fetched.DateCreated, listed.DateCreated);
        Assert.True(created.DateCreated.Equals(fetched.DateCreated),
            $"CreateCredential said dateCreated={created.DateCreated}, GetCredential says {fetched.DateCreated}.");
    }

    [Theory, BothTransports]
    public async Task ListCredentials_WithAnIntegrationFilter_ReturnsOnlyThatIntegration(Transport transport)
    {
        var user = NewUser();
        var drive = await user.NewCredential("googledrive");
        await user.NewCredential("salesforce");

        var outcome = transport == Transport.Rest
            ? await user.RestCall<ListCredentialsResponse>(HttpMethod.Get, "/api/credentials?integration=googledrive")
            : new Outcome<ListCredentialsResponse>
            {
                Transport = transport,
                Code = StatusCode.OK,
                Value = await Server.Credentials.ListCredentialsAsync(new ListCredentialsRequest { Integration = "googledrive" },
                    new Metadata { { "authorization", "Bearer " + user.Token } }),
            };

        Assert.Equal(drive.Id, Assert.Single(outcome.Ok().Data).Id);
    }

    [Fact]
    public async Task ListCredentials_WithAnIntegrationFilterThatIsNotAKey_IsInvalidArgument()
    {
        var outcome = await NewUser().RestCall<ListCredentialsResponse>(HttpMethod.Get, "/api/credentials?integration=Google%20Drive");

        outcome.Fails(StatusCode.InvalidArgument).Violation("integration");
    }

    [Theory, BothTransports]
    public async Task CreateCredential_WithADisplayNameOver200Characters_IsInvalidArgument(Transport transport)
    {
        var outcome = await NewUser().CreateCredential(transport, "googledrive", new string('d', 201), "y");

        outcome.Fails(StatusCode.InvalidArgument).Violation("displayName");
    }

    [Theory, BothTransports]
    public async Task DeleteCredential_RemovesIt_ThenGetAndDeleteAnswerNotFound(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential();

        var deleted = (await user.DeleteCredential(transport, credential.Id)).Ok();

        Assert.Equal(credential.Id, deleted.Id);
        Assert.Equal("Credential successfully deleted", deleted.Message);
        Assert.Equal("CREDENTIAL_NOT_FOUND", (await user.GetCredential(transport, credential.Id)).Fails(StatusCode.NotFound).Reason());
        (await user.DeleteCredential(transport, credential.Id)).Fails(StatusCode.NotFound);
        Assert.Empty((await user.ListCredentials(transport)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task DeleteCredential_ThroughAnUppercaseId_AnswersWithTheCredentialsCanonicalId(Transport transport)
    {
        var user = NewUser();
        var credential = await user.NewCredential();

        var deleted = (await user.DeleteCredential(transport, credential.Id.ToUpperInvariant())).Ok();

        Assert.Equal(credential.Id, deleted.Id);
    }

    [Theory, BothTransports]
    public async Task CreateCredential_WithoutIntegration_IsInvalidArgumentNamingIntegration(Transport transport)
    {
        var outcome = await NewUser().CreateCredential(transport, new CreateCredentialRequest { DisplayName = "x", SecretText = "y" });

        outcome.Fails(StatusCode.InvalidArgument).Violation("integration");
    }

    [Theory, BothTransports]
    public async Task CreateCredential_WithAnIntegrationThatIsNotAKey_IsInvalidArgumentNamingIntegration(Transport transport)
    {
        var outcome = await NewUser().CreateCredential(transport, "Google Drive", "x", "y");

        var description = outcome.Fails(StatusCode.InvalidArgument).Violation("integration");
        Assert.Contains("Google Drive", description);
    }

    [Theory, BothTransports]
    public async Task CreateCredential_WithoutSecret_IsInvalidArgumentNamingSecret(Transport transport)
    {
        var outcome = await NewUser().CreateCredential(transport, new CreateCredentialRequest { Integration = "googledrive", DisplayName = "x" });

        outcome.Fails(StatusCode.InvalidArgument).Violation("secret");
    }

    [Theory, BothTransports]
    public async Task CreateCredential_WithoutDisplayName_IsInvalidArgumentNamingDisplayName(Transport transport)
    {
        var outcome = await NewUser().CreateCredential(transport, new CreateCredentialRequest { Integration = "googledrive", SecretText = "y" });

        outcome.Fails(StatusCode.InvalidArgument).Violation("displayName");
    }

    [Theory, BothTransports]
    public async Task AnotherUsersCredential_IsNotFound(Transport transport)
    {
        var owner = NewUser();
        var credential = await owner.NewCredential();
        var stranger = NewUser();

        (await stranger.GetCredential(transport, credential.Id)).Fails(StatusCode.NotFound);
        (await stranger.DeleteCredential(transport, credential.Id)).Fails(StatusCode.NotFound);
        Assert.Empty((await stranger.ListCredentials(transport)).Ok().Data);
        (await owner.GetCredential(transport, credential.Id)).Ok();
    }

    [Theory, BothTransports]
    public async Task GetCredential_WithAMalformedId_IsInvalidArgument(Transport transport)
    {
        var outcome = await NewUser().GetCredential(transport, "not-a-uuid");

        outcome.Fails(StatusCode.InvalidArgument).Violation("credentialId");
    }

    [Fact]
    public async Task CreateCredential_OverRest_WithAnUnknownKey_IsRejectedNamingIt()
    {
        var response = await NewUser().Rest(HttpMethod.Post, "/api/credentials",
            """{"integration":"googledrive","displayName":"x","secret":"y","secrett":"z"}""");

        Assert.Equal(400, response.Status);
        Assert.Contains("secrett", response.Text);
    }
}
