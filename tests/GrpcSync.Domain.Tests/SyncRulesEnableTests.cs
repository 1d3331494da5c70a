using GrpcSync.Domain;

namespace GrpcSync.Domain.Tests;

public class SyncRulesEnableTests
{
    private static readonly Scope Scope = new("proj-1", "user-1");
    private static readonly DateTimeOffset Now = TestData.Now;

    private static (Sync Sync, SyncRun InitialRun) Enable(string? frequency = null, string configurationName = "default") =>
        SyncRules.Enable(Scope, "salesforce", "contacts", configurationName, """{"a":1}""", TestData.CredentialA, frequency, Now);

    [Fact]
    public void Enable_CreatesAnInitializingSyncAtVersionOne()
    {
        var (sync, _) = Enable();

        Assert.Equal(SyncStatus.Initializing, sync.Status);
        Assert.Equal(1, sync.Version);
        Assert.Equal(Now, sync.CreatedAt);
        Assert.Equal(Now, sync.UpdatedAt);
        Assert.Null(sync.Reason);
        Assert.Null(sync.LastRunStartedAt);
        Assert.Null(sync.LastSyncedAt);
    }

    [Fact]
    public void Enable_StoresTheRequestFields()
    {
        var (sync, _) = Enable();

        Assert.Equal("proj-1", sync.ProjectId);
        Assert.Equal("user-1", sync.UserId);
        Assert.Equal("salesforce", sync.Integration);
        Assert.Equal("contacts", sync.Pipeline);
        Assert.Equal("default", sync.ConfigurationName);
        Assert.Equal("""{"a":1}""", sync.ConfigurationJson);
        Assert.Equal(TestData.CredentialA, sync.CredentialId);
        Assert.Null(sync.Frequency);
    }

    [Fact]
    public void Enable_GivesTheNameBasedIdOfScopeIntegrationPipelineAndConfigurationName()
    {
        var (sync, _) = Enable();

        // UUIDv5 of "proj-1\nuser-1\nsalesforce\ncontacts\ndefault" in the Sync namespace (computed with Python).
        Assert.Equal(new Guid("f271047c-613f-59fb-8377-739d3ada4eab"), sync.Id);
    }

    [Fact]
    public void Enable_Twice_GivesTheSameId()
    {
        Assert.Equal(Enable().Sync.Id, Enable().Sync.Id);
    }

    [Fact]
    public void Enable_Twice_AtTheSameInstant_GivesAnotherIncarnation()
    {
        // A delete and enable within one millisecond: same id and creation time, yet another life.
        var incarnations = Enumerable.Range(0, 100).Select(_ => Enable().Sync.Incarnation).ToArray();

        Assert.Equal(100, incarnations.Distinct().Count());
        Assert.All(incarnations, i => Assert.True(i > 0, $"incarnation {i}"));
    }

    [Fact]
    public void Enable_OtherConfigurationName_GivesAnotherId()
    {
        Assert.Equal(new Guid("209fa657-472c-5f40-a66d-01eba4d2273f"), Enable(configurationName: "secondary").Sync.Id);
    }

    [Fact]
    public void Enable_QueuesAnInitialRunDueNow_TriggeredByEnable()
    {
        var (sync, run) = Enable();

        Assert.Equal(RunType.Initial, run.Type);
        Assert.Equal(RunTrigger.Enable, run.Trigger);
        Assert.Equal(RunState.Queued, run.State);
        Assert.Equal(new Guid("f271047c-613f-59fb-8377-739d3ada4eab"), run.SyncId);
        Assert.Equal(sync.Id, run.SyncId);
        Assert.Equal(Now, run.DueAt);
        Assert.Equal(Now, run.CreatedAt);
        Assert.Null(run.StartedAt);
        Assert.Null(run.FinishedAt);
        Assert.Equal(0, run.Attempt);
        Assert.True(run.IsOpen);
    }

    [Fact]
    public void Enable_GivesTheRunATimeOrderedVersion7Id()
    {
        var (_, run) = Enable();

        Assert.Equal('7', run.Id.ToString("D")[14]);
    }

    [Fact]
    public void Enable_WithDefaultFrequency_PlansNextRunOneMinuteLater()
    {
        var (sync, _) = Enable();

        Assert.Equal(new DateTimeOffset(2025, 1, 12, 3, 5, 5, TimeSpan.Zero), sync.NextRunAt);
    }

    [Fact]
    public void Enable_WithOneHourFrequency_PlansNextRunOneHourLater_AndStoresTheFrequency()
    {
        var (sync, _) = Enable("1h");

        Assert.Equal("1h", sync.Frequency);
        Assert.Equal(new DateTimeOffset(2025, 1, 12, 4, 4, 5, TimeSpan.Zero), sync.NextRunAt);
    }
}
