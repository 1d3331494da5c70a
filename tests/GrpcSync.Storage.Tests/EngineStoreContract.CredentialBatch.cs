using GrpcSync.Domain;

namespace GrpcSync.Storage.Tests;

/// <summary>The engine's read of many credentials at once (a dispatch round's), as the read by id sees each.</summary>
public abstract partial class EngineStoreContract
{
    [Fact]
    public async Task GetCredentials_ReturnsEachLiveOneOfEveryScope_AndLeavesOutDeletedAndUnknownIds()
    {
        var alice = NewCredential(Alice, T0);
        var bob = NewCredential(Bob, T0);
        var deleted = NewCredential(Alice, T0);
        foreach (var credential in new[] { alice, bob, deleted })
        {
            await Store.InsertCredentialAsync(credential);
        }
        await Store.DeleteCredentialAsync(Alice, deleted.Id, T0.AddSeconds(1), s => SyncChange<Sync>.Nothing(s.Sync));
        var unknown = Guid.NewGuid();

        var found = await Engine.GetCredentialsAsync([alice.Id, deleted.Id, bob.Id, unknown, alice.Id]);

        Assert.Equal(2, found.Count);
        Assert.Equal(alice, found[alice.Id]);
        Assert.Equal(bob, found[bob.Id]);
        Assert.Empty(await Engine.GetCredentialsAsync([]));
    }

    [Fact]
    public async Task GetCredentials_SeesARotatedSecretAndAnInvalidMark_AsTheReadByIdDoes()
    {
        var rotated = NewCredential(Alice, T0);
        var rejected = NewCredential(Alice, T0);
        await Store.InsertCredentialAsync(rotated);
        await Store.InsertCredentialAsync(rejected);
        Assert.True(await Tokens.ReplaceSecretAsync(rotated.Id, 0, "protected:rotated", holder: null));
        Assert.NotNull(await Tokens.InvalidateCredentialAsync(rejected.Id, 0, T0.AddSeconds(2), s => SyncChange<Sync>.Nothing(s.Sync)));

        var found = await Engine.GetCredentialsAsync([rotated.Id, rejected.Id]);

        Assert.Equal("protected:rotated", found[rotated.Id].ProtectedSecret);
        Assert.Equal(1, found[rotated.Id].SecretVersion);
        Assert.Equal(T0.AddSeconds(2), found[rejected.Id].InvalidAt);
        Assert.Equal(await Engine.GetCredentialAsync(rotated.Id), found[rotated.Id]);
        Assert.Equal(await Engine.GetCredentialAsync(rejected.Id), found[rejected.Id]);
    }

    [Fact]
    public async Task GetCredentials_OfMoreIdsThanOneInList_ReadsThemAll()
    {
        var stored = new List<Credential>();
        for (var i = 0; i < 1_100; i++) // three IN lists
        {
            var credential = NewCredential(i % 2 == 0 ? Alice : Bob, T0);
            await Store.InsertCredentialAsync(credential);
            stored.Add(credential);
        }

        var found = await Engine.GetCredentialsAsync([.. stored.Select(c => c.Id)]);

        Assert.Equal(stored.Count, found.Count);
        Assert.All(stored, c => Assert.Equal(c, found[c.Id]));
    }
}
