using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>EnableSync of a combination that exists: a retry when it asks for the same thing, else SYNC_ALREADY_EXISTS.</summary>
public class SyncRulesRepeatedEnableTests
{
    /// <summary>The stored Sync: configuration {"folder":"a"}, CredentialA, frequency 5m.</summary>
    private static Sync Existing() => IdleSync() with { ConfigurationJson = """{"folder":"a"}""", Frequency = "5m" };

    /// <summary>What a new EnableSync would create (fresh values, as SyncRules.Enable makes them).</summary>
    private static Sync Requested(string configurationJson = """{"folder":"a"}""") => IdleSync() with
    {
        ConfigurationJson = configurationJson,
        CredentialId = CredentialB, // the default credential the request resolved to: not what it asked for
        Frequency = null,
        Status = SyncStatus.Initializing,
        Version = 1,
        Incarnation = 99,
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    [Fact]
    public void SameConfiguration_WithoutCredentialOrFrequency_IsARetry() =>
        Assert.Null(Record.Exception(() => SyncRules.EnsureRepeatedEnable(Existing(), Requested(), null, null)));

    [Fact]
    public void SameConfiguration_NamingTheExistingCredentialAndFrequency_IsARetry() =>
        Assert.Null(Record.Exception(() => SyncRules.EnsureRepeatedEnable(Existing(), Requested(), CredentialA, "5m")));

    [Fact]
    public void DifferentConfiguration_IsAlreadyExists_NamingTheSyncAndTheWayOut()
    {
        var ex = Assert.Throws<DomainException>(() =>
            SyncRules.EnsureRepeatedEnable(Existing(), Requested("""{"folder":"b"}"""), null, null));

        Assert.Equal(ErrorKind.AlreadyExists, ex.Kind);
        Assert.Equal("SYNC_ALREADY_EXISTS", ex.Reason);
        Assert.Equal(
            "A Sync for salesforce/contacts named 'default' already exists (11111111-2222-3333-4444-555555555555) with a different " +
            "configuration, credential or frequency. Use UpdateSync (PATCH) to change credential or frequency, or another configurationName.",
            ex.Message);
        Assert.Empty(ex.Violations);
    }

    [Fact]
    public void AnotherCredential_IsAlreadyExists()
    {
        var ex = Assert.Throws<DomainException>(() => SyncRules.EnsureRepeatedEnable(Existing(), Requested(), CredentialC, null));

        Assert.Equal("SYNC_ALREADY_EXISTS", ex.Reason);
    }

    [Fact]
    public void AnotherFrequency_IsAlreadyExists()
    {
        var ex = Assert.Throws<DomainException>(() => SyncRules.EnsureRepeatedEnable(Existing(), Requested(), null, "1h"));

        Assert.Equal("SYNC_ALREADY_EXISTS", ex.Reason);
    }

    [Fact]
    public void AnExplicitFrequency_WhenTheExistingSyncUsesTheDefault_IsAlreadyExists()
    {
        // "1m" is the default's value, but the existing Sync never set one: asking for it is asking for a change.
        var ex = Assert.Throws<DomainException>(() =>
            SyncRules.EnsureRepeatedEnable(Existing() with { Frequency = null }, Requested(), null, "1m"));

        Assert.Equal("SYNC_ALREADY_EXISTS", ex.Reason);
    }

    [Fact]
    public void ConfigurationsCompareAsStoredText()
    {
        // Both sides are canonical JSON by the time they meet; the rule compares the text as it is.
        var ex = Assert.Throws<DomainException>(() =>
            SyncRules.EnsureRepeatedEnable(Existing(), Requested("""{ "folder": "a" }"""), null, null));

        Assert.Equal("SYNC_ALREADY_EXISTS", ex.Reason);
    }
}
