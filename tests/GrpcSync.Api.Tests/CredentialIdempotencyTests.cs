using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>CreateCredential with an <c>Idempotency-Key</c> (REST header, gRPC metadata): retries are safe.</summary>
public abstract class CredentialIdempotencyTests(ServerFixture server) : ApiTest(server)
{
    public sealed class OnSqlite(SqliteServer server) : CredentialIdempotencyTests(server), IClassFixture<SqliteServer>;

    public sealed class OnPostgres(PostgresServer server) : CredentialIdempotencyTests(server), IClassFixture<PostgresServer>;

    /// <summary>The longest key the API promises to accept (README).</summary>
    private const int IdempotencyKeyMaxLength = 255;

    private static CreateCredentialRequest Request(string displayName = "Work Drive", string secret = "s3cret-token") =>
        new() { Integration = "googledrive", DisplayName = displayName, SecretText = secret };

    private static string NewKey() => "retry-" + Guid.NewGuid().ToString("N");

    [Theory, BothTransports]
    public async Task Repeat_WithTheSameKeyAndBody_ReturnsTheFirstCredential_AndOnlyOneIsStored(Transport transport)
    {
        var user = NewUser();
        var key = NewKey();
        var first = (await user.CreateCredential(transport, Request(), key)).Ok();
        await Task.Delay(5); // a new create would get a later dateCreated

        var repeat = (await user.CreateCredential(transport, Request(), key)).Ok();

        Assert.Equal(first, repeat); // same id, same dateCreated: the first answer
        var stored = (await user.ListCredentials(transport)).Ok().Data;
        Assert.Equal([first.Id], stored.Select(c => c.Id));
    }

    [Theory, BothTransports]
    public async Task Repeat_OverTheOtherTransport_ReturnsTheFirstCredentialToo(Transport transport)
    {
        var user = NewUser();
        var key = NewKey();
        var first = (await user.CreateCredential(transport, Request(), key)).Ok();
        var other = transport == Transport.Rest ? Transport.Grpc : Transport.Rest;

        var repeat = (await user.CreateCredential(other, Request(), key)).Ok();

        Assert.Equal(first, repeat);
        Assert.Single((await user.ListCredentials(transport)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task SameKey_WithADifferentBody_IsAlreadyExists409_IdempotencyKeyReused(Transport transport)
    {
        var user = NewUser();
        var key = NewKey();
        var first = (await user.CreateCredential(transport, Request(), key)).Ok();

        foreach (var different in new[] { Request(displayName: "Other Drive"), Request(secret: "another-secret") })
        {
            var outcome = await user.CreateCredential(transport, different, key);

            var error = outcome.Fails(StatusCode.AlreadyExists); // over REST also asserts HTTP 409
            Assert.Equal("IDEMPOTENCY_KEY_REUSED", error.Reason());
            Assert.Contains("Idempotency-Key", error.Message, StringComparison.Ordinal);
        }
        Assert.Equal([first.Id], (await user.ListCredentials(transport)).Ok().Data.Select(c => c.Id));
    }

    [Theory, BothTransports]
    public async Task TheSameKeyOfAnotherUser_CreatesASeparateCredential(Transport transport)
    {
        var alice = NewUser();
        var bob = NewUser();
        var key = NewKey();

        var alices = (await alice.CreateCredential(transport, Request(), key)).Ok();
        var bobs = (await bob.CreateCredential(transport, Request(), key)).Ok();

        Assert.NotEqual(alices.Id, bobs.Id);
        Assert.Equal(bob.UserId, bobs.UserId);
        Assert.Equal([alices.Id], (await alice.ListCredentials(transport)).Ok().Data.Select(c => c.Id));
        Assert.Equal([bobs.Id], (await bob.ListCredentials(transport)).Ok().Data.Select(c => c.Id));
    }

    [Theory, BothTransports]
    public async Task AnInvalidKey_IsInvalidArgument400_NamingTheHeader_AndCreatesNothing(Transport transport)
    {
        var user = NewUser();

        foreach (var bad in new[] { "", "has space", new string('k', IdempotencyKeyMaxLength + 1) })
        {
            var outcome = await user.CreateCredential(transport, Request(), bad);

            var error = outcome.Fails(StatusCode.InvalidArgument); // over REST also asserts HTTP 400
            Assert.Equal("INVALID_IDEMPOTENCY_KEY", error.Reason());
            Assert.Contains("visible ASCII", error.Violation("Idempotency-Key"), StringComparison.Ordinal);
        }
        Assert.Empty((await user.ListCredentials(transport)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task TheLongestKey_OfEveryVisibleAsciiCharacter_IsAccepted(Transport transport)
    {
        var user = NewUser();
        var visible = new string(Enumerable.Range('!', '~' - '!' + 1).Select(c => (char)c).ToArray()); // 94 characters
        var key = string.Concat(Enumerable.Repeat(visible, 3))[..IdempotencyKeyMaxLength];

        var first = (await user.CreateCredential(transport, Request(), key)).Ok();
        var repeat = (await user.CreateCredential(transport, Request(), key)).Ok();

        Assert.Equal(first.Id, repeat.Id);
    }

    [Theory, BothTransports]
    public async Task WithoutAKey_TwoCreatesMakeTwoCredentials(Transport transport)
    {
        var user = NewUser();

        var first = (await user.CreateCredential(transport, Request())).Ok();
        var second = (await user.CreateCredential(transport, Request())).Ok();

        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(2, (await user.ListCredentials(transport)).Ok().Data.Count);
    }

    [Theory, BothTransports]
    public async Task ARejectedRequest_DoesNotUseUpTheKey(Transport transport)
    {
        var user = NewUser();
        var key = NewKey();

        (await user.CreateCredential(transport, Request(secret: ""), key)).Fails(StatusCode.InvalidArgument);
        var created = await user.CreateCredential(transport, Request(), key);

        Assert.Equal([created.Ok().Id], (await user.ListCredentials(transport)).Ok().Data.Select(c => c.Id));
    }

    [Theory, BothTransports]
    public async Task Repeat_AfterTheCredentialWasDeleted_StillReturnsTheFirstAnswer_AndCreatesNothing(Transport transport)
    {
        var user = NewUser();
        var key = NewKey();
        var first = (await user.CreateCredential(transport, Request(), key)).Ok();
        (await user.DeleteCredential(transport, first.Id)).Ok();

        var repeat = (await user.CreateCredential(transport, Request(), key)).Ok();

        Assert.Equal(first, repeat);
        Assert.Empty((await user.ListCredentials(transport)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task ConcurrentCreatesWithOneKey_StoreOneCredential_AndAllGetIt(Transport transport)
    {
        var user = NewUser();
        var key = NewKey();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => user.CreateCredential(transport, Request(), key))));

        var ids = outcomes.Select(o => o.Ok().Id).Distinct().ToArray();
        var id = Assert.Single(ids);
        Assert.Equal([id], (await user.ListCredentials(transport)).Ok().Data.Select(c => c.Id));
    }
}
