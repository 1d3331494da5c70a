using GrpcSync.Domain;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>The default credential of EnableSync, and the live credential ReenableSync needs.</summary>
public class SyncRulesCredentialChoiceTests
{
    private static Credential Credential(Guid id, DateTimeOffset createdAt, string integration = "salesforce", DateTimeOffset? deletedAt = null) => new()
    {
        Id = id,
        ProjectId = "proj-1",
        UserId = "user-1",
        Integration = integration,
        DisplayName = "account " + id.ToString()[..8],
        ProtectedSecret = "protected",
        CreatedAt = createdAt,
        DeletedAt = deletedAt,
    };

    [Fact]
    public void DefaultCredential_IsTheOldest_WhateverTheListOrder()
    {
        var credentials = new[]
        {
            Credential(CredentialA, T0.AddDays(2)),
            Credential(CredentialB, T0), // oldest
            Credential(CredentialC, T0.AddDays(1)),
        };

        Assert.Equal(CredentialB, SyncRules.DefaultCredential(credentials, "salesforce").Id);
    }

    [Fact]
    public void DefaultCredential_OfEquallyOldOnes_IsTheFirstListed()
    {
        var credentials = new[] { Credential(CredentialC, T0), Credential(CredentialA, T0) };

        Assert.Equal(CredentialC, SyncRules.DefaultCredential(credentials, "salesforce").Id);
    }

    [Fact]
    public void DefaultCredential_SkipsDeletedOnesAndOtherIntegrations()
    {
        var credentials = new[]
        {
            Credential(CredentialA, T0, deletedAt: T0.AddDays(3)),
            Credential(CredentialB, T0.AddHours(1), integration: "filesystem"),
            Credential(CredentialC, T0.AddHours(2)),
        };

        Assert.Equal(CredentialC, SyncRules.DefaultCredential(credentials, "salesforce").Id);
    }

    [Fact]
    public void DefaultCredential_WithoutOne_IsNoCredential()
    {
        var ex = Assert.Throws<DomainException>(() =>
            SyncRules.DefaultCredential([Credential(CredentialA, T0, integration: "filesystem")], "salesforce"));

        Assert.Equal(ErrorKind.FailedPrecondition, ex.Kind);
        Assert.Equal("NO_CREDENTIAL", ex.Reason);
        Assert.Equal("The user has no credential for integration 'salesforce'. Create one (POST /api/credentials) first.", ex.Message);
    }

    [Theory]
    [InlineData(SyncStatus.Disabled)]
    [InlineData(SyncStatus.Errored)]
    public void Reenable_StoppedSyncWithItsLiveCredential_IsAllowed(SyncStatus stopped) =>
        Assert.Null(Record.Exception(() =>
            SyncRules.EnsureCanReenable(IdleSync() with { Status = stopped }, Credential(CredentialA, T0))));

    [Theory]
    [InlineData(SyncStatus.Disabled)]
    [InlineData(SyncStatus.Errored)]
    public void Reenable_StoppedSyncWhoseCredentialIsGone_IsCredentialGone(SyncStatus stopped)
    {
        var ex = Assert.Throws<DomainException>(() => SyncRules.EnsureCanReenable(IdleSync() with { Status = stopped }, null));

        Assert.Equal(ErrorKind.FailedPrecondition, ex.Kind);
        Assert.Equal("CREDENTIAL_GONE", ex.Reason);
        Assert.Equal(
            "The Sync's credential aaaaaaaa-0000-4000-8000-000000000001 no longer exists; bind another one with UpdateSync (credentialId) first.",
            ex.Message);
    }

    [Fact]
    public void Reenable_StoppedSyncWithADeletedCredential_IsCredentialGone()
    {
        var deleted = Credential(CredentialA, T0, deletedAt: T0.AddDays(1));

        var ex = Assert.Throws<DomainException>(() => SyncRules.EnsureCanReenable(IdleSync() with { Status = SyncStatus.Errored }, deleted));

        Assert.Equal("CREDENTIAL_GONE", ex.Reason);
    }

    [Fact]
    public void Reenable_StoppedSyncWithoutACredential_IsCredentialGone()
    {
        var unbound = IdleSync() with { Status = SyncStatus.Disabled, CredentialId = null };

        var ex = Assert.Throws<DomainException>(() => SyncRules.EnsureCanReenable(unbound, null));

        Assert.Equal("The Sync's credential  no longer exists; bind another one with UpdateSync (credentialId) first.", ex.Message);
    }

    [Fact]
    public void Reenable_StoppedSyncGivenAnotherCredential_IsCredentialGone()
    {
        var ex = Assert.Throws<DomainException>(() =>
            SyncRules.EnsureCanReenable(IdleSync() with { Status = SyncStatus.Disabled }, Credential(CredentialB, T0)));

        Assert.Equal("CREDENTIAL_GONE", ex.Reason);
    }

    [Theory]
    [InlineData(SyncStatus.Initializing)]
    [InlineData(SyncStatus.Active)]
    [InlineData(SyncStatus.Idle)]
    [InlineData(SyncStatus.RateLimited)]
    public void Reenable_RunningSync_NeedsNoCredential(SyncStatus running) =>
        Assert.Null(Record.Exception(() => SyncRules.EnsureCanReenable(IdleSync() with { Status = running }, null)));
}
