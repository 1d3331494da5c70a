using GrpcSync.Domain;

namespace GrpcSync.Connectors.GoogleDrive.Tests;

/// <summary>
/// OAuth refresh through the engine's StoreAccessTokens on a real store: refresh before expiry, renewal after a 401,
/// one refresh per credential however many runs (and replicas) need it, rotated refresh tokens never lost,
/// transient token-endpoint failures, and no token in any message or log.
/// </summary>
public abstract class TokenTests(TestStore store) : DriveTest(store)
{
    public sealed class OnSqlite() : TokenTests(TestStore.Sqlite);

    public sealed class OnPostgres() : TokenTests(TestStore.Postgres);

    [Fact]
    public async Task A_credential_without_an_access_token_is_refreshed_once_and_the_token_is_stored()
    {
        W.Drive.Put("a", "a.txt", content: "a");
        var (credential, refresh) = await W.AddCredentialAsync();

        await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default));
        await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default)); // a second run reuses it

        Assert.Equal(1, W.Drive.TokenCalls);
        var stored = await W.Store.GetCredentialAsync(credential.Id);
        Assert.Equal(1, stored!.SecretVersion);
        var grant = await W.StoredGrantAsync(credential.Id);
        Assert.Equal(refresh, grant.RefreshToken);
        Assert.StartsWith("ya29.", grant.AccessToken, StringComparison.Ordinal);
        Assert.True(grant.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(50));
    }

    [Fact]
    public async Task A_token_about_to_expire_is_refreshed_before_use()
    {
        var (credential, _) = await W.AddCredentialAsync(accessToken: "ya29.almost-expired", expiresAt: DateTimeOffset.UtcNow.AddSeconds(30));

        await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default));

        Assert.Equal(1, W.Drive.TokenCalls);
        Assert.NotEqual("ya29.almost-expired", (await W.StoredGrantAsync(credential.Id)).AccessToken);
    }

    [Fact]
    public async Task A_401_mid_run_renews_the_token_once_and_the_run_goes_on()
    {
        W.Drive.MaxPageSize = 1;
        W.Drive.Put("a", "a.txt", content: "a");
        W.Drive.Put("b", "b.txt", content: "b");
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);

        var seen = new List<string>();
        await foreach (var page in W.Connector.EnumerateAsync(context, default))
        {
            seen.AddRange(page.Records.Select(r => r.ExternalId));
            W.Drive.ExpireAccessTokens(); // Google revokes/expires the token between pages
        }

        Assert.Equal(["a", "b"], seen);
        Assert.True(W.Drive.TokenCalls >= 2);
    }

    [Fact]
    public async Task Eight_runs_whose_token_expired_make_exactly_one_refresh_call()
    {
        W.Drive.Put("a", "a.txt", content: "a");
        W.Drive.TokenDelay = TimeSpan.FromMilliseconds(300); // the refresh is slow: the others arrive while it runs
        var (credential, _) = await W.AddCredentialAsync(accessToken: "ya29.expired", expiresAt: DateTimeOffset.UtcNow.AddMinutes(-5));
        var contexts = new List<SourceContext>();
        for (var i = 0; i < 8; i++)
        {
            contexts.Add(await W.ContextAsync(credential));
        }

        var runs = await Task.WhenAll(contexts.Select(c => Task.Run(() => PagesAsync(W.Connector.EnumerateAsync(c, default)))));

        Assert.All(runs, pages => Assert.Equal("a", Assert.Single(pages.SelectMany(p => p.Records)).ExternalId));
        Assert.Equal(1, W.Drive.TokenCalls);
        Assert.Equal(1, (await W.Store.GetCredentialAsync(credential.Id))!.SecretVersion);
    }

    [Fact]
    public async Task Concurrent_refreshes_on_two_replicas_with_rotating_refresh_tokens_never_lose_the_live_one()
    {
        W.Drive.RotateRefreshTokens = true;
        W.Drive.TokenDelay = TimeSpan.FromMilliseconds(200);
        W.Drive.Put("a", "a.txt", content: "a");
        var (credential, original) = await W.AddCredentialAsync();
        var replica = W.SecondStore();

        for (var round = 0; round < 3; round++)
        {
            W.Drive.ExpireAccessTokens();
            var stored = await W.StoredGrantAsync(credential.Id);
            if (stored.AccessToken is not null)
            {
                // Make the stored token look expired too, as time would: rewrite it through the same CAS.
                var version = (await W.Store.GetCredentialAsync(credential.Id))!.SecretVersion;
                Assert.True(await W.Store.ReplaceSecretAsync(credential.Id, version,
                    W.Secrets.Protect((stored with { ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }).ToStored()), holder: null));
            }
            var callsBefore = W.Drive.TokenCalls;
            var contexts = new List<SourceContext>();
            for (var i = 0; i < 4; i++)
            {
                contexts.Add(await W.ContextAsync(credential));
                contexts.Add(await W.ContextAsync(credential, store: replica));
            }

            await Task.WhenAll(contexts.Select(c => Task.Run(() => PagesAsync(W.Connector.EnumerateAsync(c, default)))));

            Assert.Equal(callsBefore + 1, W.Drive.TokenCalls);
        }

        var final = await W.StoredGrantAsync(credential.Id);
        Assert.NotEqual(original, final.RefreshToken); // rotated three times, the last rotation stored
        // The stored refresh token is the live one: a new refresh with it works.
        var tokens = await W.Connector.RefreshAsync(final.RefreshToken, default);
        Assert.NotNull(tokens.RotatedRefreshToken);
    }

    [Fact]
    public async Task A_stale_compare_and_swap_writes_nothing()
    {
        var (credential, _) = await W.AddCredentialAsync();
        var stored = (await W.Store.GetCredentialAsync(credential.Id))!;

        Assert.True(await W.Store.ReplaceSecretAsync(credential.Id, stored.SecretVersion, W.Secrets.Protect("""{"refreshToken":"first"}"""), null));
        Assert.False(await W.Store.ReplaceSecretAsync(credential.Id, stored.SecretVersion, W.Secrets.Protect("""{"refreshToken":"second"}"""), null));

        Assert.Equal("first", (await W.StoredGrantAsync(credential.Id)).RefreshToken);
        Assert.Equal(stored.SecretVersion + 1, (await W.Store.GetCredentialAsync(credential.Id))!.SecretVersion);
    }

    [Fact]
    public async Task The_refresh_lease_is_held_by_one_holder_until_released_or_expired()
    {
        var (credential, _) = await W.AddCredentialAsync();
        var replica = W.SecondStore();
        var now = DateTimeOffset.UtcNow;

        Assert.True(await W.Store.TryTakeRefreshLeaseAsync(credential.Id, "a", now, now.AddSeconds(30)));
        Assert.False(await replica.TryTakeRefreshLeaseAsync(credential.Id, "b", now, now.AddSeconds(30)));
        Assert.True(await replica.TryTakeRefreshLeaseAsync(credential.Id, "b", now.AddSeconds(31), now.AddSeconds(61))); // a's expired
        await W.Store.ReleaseRefreshLeaseAsync(credential.Id, "a"); // not a's any more: nothing happens
        Assert.False(await W.Store.TryTakeRefreshLeaseAsync(credential.Id, "a", now.AddSeconds(32), now.AddSeconds(62)));
        await replica.ReleaseRefreshLeaseAsync(credential.Id, "b");
        Assert.True(await W.Store.TryTakeRefreshLeaseAsync(credential.Id, "a", now.AddSeconds(33), now.AddSeconds(63)));
    }

    [Fact]
    public async Task A_failing_token_endpoint_is_transient_and_leaves_the_lease_free_for_the_retry()
    {
        W.Drive.Put("a", "a.txt", content: "a");
        var (credential, _) = await W.AddCredentialAsync();
        W.Drive.FailNextTokenCall(503);

        await Assert.ThrowsAsync<TransientSourceException>(async () => await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default)));
        Assert.Null((await W.Store.GetCredentialAsync(credential.Id))!.InvalidAt);

        var pages = await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default)); // the retry
        Assert.Single(pages.SelectMany(p => p.Records));
    }

    [Fact]
    public async Task No_token_or_client_secret_reaches_an_error_message_or_a_log()
    {
        var (credential, refresh) = await W.AddCredentialAsync();
        await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default));
        var access = (await W.StoredGrantAsync(credential.Id)).AccessToken!;
        var messages = new List<string>();
        W.Drive.FailNextTokenCall(500);
        W.Drive.ExpireAccessTokens();
        messages.Add((await Assert.ThrowsAnyAsync<Exception>(async () => await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default)))).ToString());
        W.Drive.Revoke(refresh);
        messages.Add((await Assert.ThrowsAnyAsync<Exception>(async () => await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default)))).ToString());
        messages.Add((await Assert.ThrowsAnyAsync<Exception>(() => W.Connector.RefreshAsync(refresh, default))).ToString());
        messages.Add(new OAuthGrant(refresh, access, DateTimeOffset.UtcNow).ToString());
        messages.AddRange(W.Logs.Lines);

        Assert.NotEmpty(W.Logs.Lines);
        foreach (var text in messages)
        {
            Assert.DoesNotContain(refresh, text, StringComparison.Ordinal);
            Assert.DoesNotContain(access, text, StringComparison.Ordinal);
            Assert.DoesNotContain(DriveDouble.ClientSecret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Invalid_grant_marks_the_credential_invalid_and_errors_its_syncs()
    {
        var (credential, refresh) = await W.AddCredentialAsync();
        var syncs = new List<Sync>();
        for (var i = 0; i < 3; i++)
        {
            var (sync, run) = SyncRules.Enable(DriveWorld.Scope, GoogleDriveConnector.IntegrationName, "files", $"config-{i}", "{}", credential.Id, null,
                DateTimeOffset.UtcNow);
            syncs.Add((await W.Store.InsertSyncAsync(sync, run)).Sync);
        }
        W.Drive.Revoke(refresh);

        var error = await Assert.ThrowsAsync<PermanentSourceException>(async () => await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default)));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
        Assert.Equal(SyncRules.CredentialRejectedReason, error.Message);
        Assert.NotNull((await W.Store.GetCredentialAsync(credential.Id))!.InvalidAt);
        foreach (var sync in syncs)
        {
            var snapshot = (await W.Store.GetSyncAsync(sync.Id))!;
            Assert.Equal(SyncStatus.Errored, snapshot.Sync.Status);
            Assert.Equal(SyncRules.CredentialRejectedReason, snapshot.Sync.Reason);
            Assert.Empty(snapshot.OpenRuns);
        }
        Assert.Equal(1, W.Drive.TokenCalls);
        // Later runs fail at once, without calling the token endpoint again.
        await Assert.ThrowsAsync<PermanentSourceException>(async () => await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default)));
        Assert.Equal(1, W.Drive.TokenCalls);
    }
}
