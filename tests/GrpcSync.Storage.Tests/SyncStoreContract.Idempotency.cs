using System.Security.Cryptography;
using System.Text;
using GrpcSync.Domain;
using GrpcSync.Storage.Relational;

namespace GrpcSync.Storage.Tests;

/// <summary>Keyed creates (idempotency keys): <see cref="ISyncStore.InsertCredentialOnceAsync"/>.</summary>
public abstract partial class SyncStoreContract
{
    private const string CreateMethod = "grpcsync.v1.CredentialService/CreateCredential";

    [Fact]
    public async Task InsertCredentialOnce_FirstUseOfAKey_StoresTheCredentialAndReturnsTheGivenAnswer()
    {
        var credential = NewCredential(Alice, "hubspot", T0);
        var create = Keyed(Alice, "key-1", "request A", "answer A", T0);

        var result = await Store.InsertCredentialOnceAsync(credential, create);

        Assert.Equal(IdempotencyOutcome.Created, result.Outcome);
        Assert.Equal(Bytes("answer A"), result.Response);
        Assert.Equal(credential, await Store.GetCredentialAsync(Alice, credential.Id));
        Assert.Equal(1, await Database.CountRowsAsync("idempotency_keys"));
    }

    [Fact]
    public async Task InsertCredentialOnce_RepeatWithTheSameRequest_ReplaysTheFirstAnswerAndWritesNothing()
    {
        var first = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialOnceAsync(first, Keyed(Alice, "key-1", "request A", "answer A", T0));
        var retry = NewCredential(Alice, "hubspot", T0.AddMinutes(5)); // a retry builds a new id; it must not be stored

        var result = await Store.InsertCredentialOnceAsync(retry, Keyed(Alice, "key-1", "request A", "answer of the retry", T0.AddMinutes(5)));

        Assert.Equal(IdempotencyOutcome.Replayed, result.Outcome);
        Assert.Equal(Bytes("answer A"), result.Response);
        Assert.Equal([first.Id], (await Store.ListCredentialsAsync(Alice, null)).Select(c => c.Id));
        Assert.Null(await Store.GetCredentialAsync(Alice, retry.Id));
    }

    [Fact]
    public async Task InsertCredentialOnce_SameKeyWithAnotherRequest_IsReportedAsReuseAndWritesNothing()
    {
        var first = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialOnceAsync(first, Keyed(Alice, "key-1", "request A", "answer A", T0));
        var other = NewCredential(Alice, "salesforce", T0.AddSeconds(1));

        var result = await Store.InsertCredentialOnceAsync(other, Keyed(Alice, "key-1", "request B", "answer B", T0.AddSeconds(1)));

        Assert.Equal(IdempotencyOutcome.KeyReused, result.Outcome);
        Assert.Null(result.Response);
        Assert.Equal([first.Id], (await Store.ListCredentialsAsync(Alice, null)).Select(c => c.Id));
        // The first answer is kept: its retry still replays.
        var retry = await Store.InsertCredentialOnceAsync(NewCredential(Alice, "hubspot", T0.AddSeconds(2)),
            Keyed(Alice, "key-1", "request A", "answer A again", T0.AddSeconds(2)));
        Assert.Equal((IdempotencyOutcome.Replayed, "answer A"), Answer(retry));
    }

    [Fact]
    public async Task InsertCredentialOnce_TheSameKeyOfAnotherUserProjectOrMethod_IsIndependent()
    {
        await Store.InsertCredentialOnceAsync(NewCredential(Alice, "hubspot", T0), Keyed(Alice, "key-1", "request A", "answer A", T0));

        foreach (var scope in new[] { Bob, AliceInOtherProject })
        {
            var credential = NewCredential(scope, "hubspot", T0);
            var result = await Store.InsertCredentialOnceAsync(credential, Keyed(scope, "key-1", "request A", "answer of " + scope, T0));

            Assert.Equal((IdempotencyOutcome.Created, "answer of " + scope), Answer(result));
            Assert.Equal([credential.Id], (await Store.ListCredentialsAsync(scope, null)).Select(c => c.Id));
        }
        var otherMethod = Keyed(Alice, "key-1", "request A", "answer of another method", T0) with
        {
            Key = new IdempotencyKey(Alice, "grpcsync.v1.WebhookService/CreateWebhook", "key-1"),
        };
        var viaOtherMethod = await Store.InsertCredentialOnceAsync(NewCredential(Alice, "hubspot", T0), otherMethod);
        Assert.Equal(IdempotencyOutcome.Created, viaOtherMethod.Outcome);
        Assert.Equal(2, (await Store.ListCredentialsAsync(Alice, null)).Count);
        // Keys differ by case too: they are compared exactly.
        var upperCase = await Store.InsertCredentialOnceAsync(NewCredential(Alice, "hubspot", T0), Keyed(Alice, "KEY-1", "request A", "x", T0));
        Assert.Equal(IdempotencyOutcome.Created, upperCase.Outcome);
    }

    [Fact]
    public async Task InsertCredentialOnce_AKeyOlderThanTheWindow_IsFreeAgainAndStartsANewCreate()
    {
        var first = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialOnceAsync(first, Keyed(Alice, "key-1", "request A", "answer A", T0));
        var lastMoment = T0 + IdempotentCreate.Window - TimeSpan.FromMilliseconds(1);

        var stillLive = await Store.InsertCredentialOnceAsync(NewCredential(Alice, "hubspot", lastMoment),
            Keyed(Alice, "key-1", "request A", "too early", lastMoment));
        Assert.Equal((IdempotencyOutcome.Replayed, "answer A"), Answer(stillLive));

        var expiry = T0 + IdempotentCreate.Window;
        var second = NewCredential(Alice, "salesforce", expiry);
        var reused = await Store.InsertCredentialOnceAsync(second, Keyed(Alice, "key-1", "request B", "answer B", expiry));

        Assert.Equal((IdempotencyOutcome.Created, "answer B"), Answer(reused));
        Assert.Equal([first.Id, second.Id], (await Store.ListCredentialsAsync(Alice, null)).Select(c => c.Id));
        // The key now holds the second request: its retry replays answer B, the first request is a reuse.
        var later = expiry.AddMinutes(1);
        var retryOfSecond = await Store.InsertCredentialOnceAsync(NewCredential(Alice, "salesforce", later),
            Keyed(Alice, "key-1", "request B", "x", later));
        var retryOfFirst = await Store.InsertCredentialOnceAsync(NewCredential(Alice, "hubspot", later),
            Keyed(Alice, "key-1", "request A", "x", later));
        Assert.Equal((IdempotencyOutcome.Replayed, "answer B"), Answer(retryOfSecond));
        Assert.Equal(IdempotencyOutcome.KeyReused, retryOfFirst.Outcome);
        Assert.Equal(1, await Database.CountRowsAsync("idempotency_keys"));
    }

    [Fact]
    public async Task InsertCredentialOnce_DeletesExpiredKeysInBoundedBatches()
    {
        var expired = RelationalSyncStore.ExpiredKeysPerCreate + 5;
        for (var i = 0; i < expired; i++)
        {
            var at = T0.AddMilliseconds(i);
            await Store.InsertCredentialOnceAsync(NewCredential(Bob, "hubspot", at), Keyed(Bob, $"old-{i}", "request", "answer", at));
        }
        var now = T0 + IdempotentCreate.Window + TimeSpan.FromHours(1); // every key above has expired

        await Store.InsertCredentialOnceAsync(NewCredential(Alice, "hubspot", now), Keyed(Alice, "new-1", "request", "answer", now));
        Assert.Equal(5 + 1, await Database.CountRowsAsync("idempotency_keys"));

        await Store.InsertCredentialOnceAsync(NewCredential(Alice, "hubspot", now), Keyed(Alice, "new-2", "request", "answer", now));
        Assert.Equal(2, await Database.CountRowsAsync("idempotency_keys"));
        Assert.Equal(expired, (await Store.ListCredentialsAsync(Bob, null)).Count); // only keys go, never what they created
    }

    [Fact]
    public async Task InsertCredentialOnce_ConcurrentRequestsWithOneKey_CreateExactlyOneCredential_AndAllGetItsAnswer()
    {
        // Several store instances on one database stand for replicas; each sends several requests at once.
        const int stores = 4, requestsPerStore = 4;
        var instances = Enumerable.Range(0, stores).Select(_ => Database.OpenStore()).ToArray();
        var credentials = Enumerable.Range(0, stores * requestsPerStore).Select(i => NewCredential(Alice, "hubspot", T0.AddMilliseconds(i))).ToArray();

        var results = await RunTogetherAsync(credentials.Length, i =>
            instances[i % stores].InsertCredentialOnceAsync(credentials[i],
                Keyed(Alice, "key-1", "request A", "answer of " + credentials[i].Id, T0.AddMilliseconds(i))));

        Assert.Equal(1, results.Count(r => r.Outcome == IdempotencyOutcome.Created));
        Assert.Equal(credentials.Length - 1, results.Count(r => r.Outcome == IdempotencyOutcome.Replayed));
        var winner = credentials[Array.FindIndex(results, r => r.Outcome == IdempotencyOutcome.Created)];
        Assert.All(results, r => Assert.Equal(Bytes("answer of " + winner.Id), r.Response));
        Assert.Equal([winner.Id], (await Store.ListCredentialsAsync(Alice, null)).Select(c => c.Id));
    }

    [Fact]
    public async Task InsertCredentialOnce_WhenTheInsertFails_KeepsNoKey()
    {
        var taken = NewCredential(Alice, "hubspot", T0);
        await Store.InsertCredentialAsync(taken);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Store.InsertCredentialOnceAsync(taken with { DisplayName = "again" }, Keyed(Alice, "key-1", "request A", "answer A", T0)));

        Assert.Equal(0, await Database.CountRowsAsync("idempotency_keys"));
        var fresh = NewCredential(Alice, "hubspot", T0);
        var result = await Store.InsertCredentialOnceAsync(fresh, Keyed(Alice, "key-1", "request A", "answer A", T0));
        Assert.Equal(IdempotencyOutcome.Created, result.Outcome);
        Assert.Equal(fresh, await Store.GetCredentialAsync(Alice, fresh.Id));
    }

    [Fact]
    public async Task InsertCredentialOnce_ACredentialOfAnotherScopeThanTheKey_IsRejectedAndWritesNothing()
    {
        var bobs = NewCredential(Bob, "hubspot", T0);

        await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.InsertCredentialOnceAsync(bobs, Keyed(Alice, "key-1", "request A", "answer A", T0)));

        Assert.Null(await Store.GetCredentialAsync(Bob, bobs.Id));
        Assert.Equal(0, await Database.CountRowsAsync("idempotency_keys"));
    }

    private static IdempotentCreate Keyed(Scope scope, string key, string request, string response, DateTimeOffset now) =>
        new(new IdempotencyKey(scope, CreateMethod, key), SHA256.HashData(Bytes(request)), Bytes(response), now);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The outcome with the answer as text, so both compare by value.</summary>
    private static (IdempotencyOutcome, string?) Answer(IdempotentResult result) =>
        (result.Outcome, result.Response is null ? null : Encoding.UTF8.GetString(result.Response));
}
