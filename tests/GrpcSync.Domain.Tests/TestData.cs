using GrpcSync.Domain;

namespace GrpcSync.Domain.Tests;

/// <summary>
/// Fixed instants, ids and builders. Every expected value in the tests is written out by hand
/// (or was computed outside this code base), never derived with the code under test.
/// </summary>
internal static class TestData
{
    /// <summary>2025-01-02T03:04:05Z (Unix ms 1735787045000).</summary>
    public static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>"Now" of most tests: ten days after <see cref="T0"/>.</summary>
    public static readonly DateTimeOffset Now = new(2025, 1, 12, 3, 4, 5, TimeSpan.Zero);

    public static readonly Guid SyncId = new("11111111-2222-3333-4444-555555555555");
    public static readonly Guid CredentialA = new("aaaaaaaa-0000-4000-8000-000000000001");
    public static readonly Guid CredentialB = new("bbbbbbbb-0000-4000-8000-000000000002");
    public static readonly Guid CredentialC = new("cccccccc-0000-4000-8000-000000000003");

    /// <summary>
    /// An IDLE Sync on the default frequency, bound to <see cref="CredentialA"/>, version 5, incarnation 7,
    /// created at <see cref="T0"/>, last run started 30 s before <see cref="Now"/>.
    /// </summary>
    public static Sync IdleSync() => new()
    {
        Id = SyncId,
        ProjectId = "proj-1",
        UserId = "user-1",
        Integration = "salesforce",
        Pipeline = "contacts",
        ConfigurationName = "default",
        ConfigurationJson = "{}",
        CredentialId = CredentialA,
        Frequency = null,
        Status = SyncStatus.Idle,
        NextRunAt = Now.AddSeconds(30),
        LastRunStartedAt = Now.AddSeconds(-30),
        LastSyncedAt = Now.AddSeconds(-20),
        Version = 5,
        Incarnation = 7,
        CreatedAt = T0,
        UpdatedAt = T0.AddDays(1),
    };

    public static SyncRun Run(RunType type, RunTrigger trigger, RunState state, Guid? id = null) => new()
    {
        Id = id ?? Guid.NewGuid(),
        SyncId = SyncId,
        Type = type,
        Trigger = trigger,
        State = state,
        CreatedAt = Now.AddMinutes(-5),
        DueAt = Now.AddMinutes(-5),
        StartedAt = state == RunState.Running ? Now.AddMinutes(-4) : null,
        Attempt = state == RunState.Running ? 1 : 0,
    };

    public static SyncSnapshot Snapshot(Sync sync, params SyncRun[] openRuns) => new(sync, openRuns);
}
