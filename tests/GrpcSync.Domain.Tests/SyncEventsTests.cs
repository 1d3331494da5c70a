using System.Text;
using static GrpcSync.Domain.Tests.TestData;

namespace GrpcSync.Domain.Tests;

/// <summary>The events decisions imply, their one JSON form, and the events cursor.</summary>
public class SyncEventsTests
{
    private static readonly RunPolicy Policy = new();

    private static SyncRun Running(RunType type, RunTrigger trigger = RunTrigger.Manual) =>
        Run(type, trigger, RunState.Running) with { Attempt = 1, StartedAt = Now.AddSeconds(-2), LeaseOwner = "w", LeaseExpiresAt = Now.AddSeconds(30) };

    private static IEnumerable<string> Types<T>(SyncChange<T> change) => change.Events.Select(e => e.Type);

    [Fact]
    public void Finish_announces_by_outcome()
    {
        var initial = Running(RunType.Initial);
        var incremental = Running(RunType.Incremental);
        var sync = IdleSync() with { Status = SyncStatus.Active };
        SyncChange<FinishResult> Finish(SyncRun run, RunOutcome outcome) =>
            RunRules.Finish(Snapshot(sync, run), run.Id, 1, outcome, Now, Policy, new RunCounts(3, 2, 1));

        Assert.Equal([EventTypes.RunFinished, EventTypes.SyncComplete], Types(Finish(initial, new RunOutcome.Succeeded(null))));
        Assert.Equal([EventTypes.RunFinished], Types(Finish(incremental, new RunOutcome.Succeeded(null))));
        Assert.Equal([EventTypes.RunFinished, EventTypes.SyncErrored], Types(Finish(incremental, new RunOutcome.PermanentFailure("gone"))));
        Assert.Equal([EventTypes.SyncRateLimited], Types(Finish(incremental, new RunOutcome.RateLimited(TimeSpan.FromSeconds(9), "429"))));
        Assert.Empty(Types(Finish(incremental, new RunOutcome.TransientFailure("flaky")))); // queued again: not finished
        Assert.Empty(Types(Finish(incremental, new RunOutcome.Released())));
        Assert.Empty(Types(RunRules.Finish(Snapshot(sync, incremental), incremental.Id, 7, new RunOutcome.Succeeded(null), Now, Policy))); // fenced

        var finished = Finish(incremental, new RunOutcome.Succeeded(null)).Events[0];
        Assert.Equal(Now, finished.Timestamp);
        Assert.Equal(
            $$"""{"runId":"{{incremental.Id}}","type":"INCREMENTAL","trigger":"MANUAL","state":"SUCCEEDED","attempt":1,"created":3,"updated":2,"deleted":1}""",
            finished.DataJson);
    }

    [Fact]
    public void A_scheduled_incremental_run_is_quiet_unless_it_has_something_to_report()
    {
        var sync = IdleSync() with { Status = SyncStatus.Active, NextRunAt = Now.AddSeconds(-1), LastRunStartedAt = Now.AddMinutes(-1), LastFullSyncAt = Now.AddHours(-1) };
        var scheduled = RunRules.Dispatch(Snapshot(sync), Now, "w", Policy);
        var quiet = scheduled.Result!;
        Assert.Equal((RunType.Incremental, RunTrigger.Schedule), (quiet.Type, quiet.Trigger));
        Assert.Empty(scheduled.Events); // no run_started at the claim
        var manual = RunRules.Dispatch(Snapshot(sync, Run(RunType.Incremental, RunTrigger.Manual, RunState.Queued) with { DueAt = Now }), Now, "w", Policy);
        Assert.Equal([EventTypes.RunStarted], Types(manual)); // every other run announces itself at once

        var running = Running(RunType.Incremental, RunTrigger.Schedule);
        SyncChange<FinishResult> Finish(RunOutcome outcome, RunCounts counts) =>
            RunRules.Finish(Snapshot(sync, running), running.Id, 1, outcome, Now, Policy, counts);

        Assert.Empty(Finish(new RunOutcome.Succeeded(null), RunCounts.None).Events); // changed nothing: nothing at all
        var changed = Finish(new RunOutcome.Succeeded(null), new RunCounts(1, 0, 0));
        Assert.Equal([EventTypes.RunStarted, EventTypes.RunFinished], Types(changed));
        Assert.Equal(running.StartedAt, changed.Events[0].Timestamp); // stamped with the run's start, logged at its end
        Assert.Contains("\"state\":\"RUNNING\"", changed.Events[0].DataJson);
        Assert.Contains(running.Id.ToString(), changed.Events[0].DataJson);
        Assert.Equal([EventTypes.RunStarted, EventTypes.RunFinished, EventTypes.SyncErrored],
            Types(Finish(new RunOutcome.PermanentFailure("gone"), RunCounts.None)));
        Assert.Equal([EventTypes.RunStarted, EventTypes.RunFinished],
            Types(running with { Retries = Policy.MaxRetries } is var last
                ? RunRules.Finish(Snapshot(sync, last), last.Id, 1, new RunOutcome.TransientFailure("flaky"), Now, Policy, RunCounts.None)
                : throw new InvalidOperationException()));
        Assert.Empty(Finish(new RunOutcome.TransientFailure("flaky"), RunCounts.None).Events); // queued again: still quiet
        Assert.Equal([EventTypes.SyncRateLimited], Types(Finish(new RunOutcome.RateLimited(TimeSpan.FromSeconds(9), "429"), RunCounts.None)));

        // Cancelled while running: its start and its end, once each.
        var cancelled = RunRules.Cancel(Snapshot(sync, running), running.Id, Now);
        Assert.Equal([EventTypes.RunStarted, EventTypes.RunFinished], Types(cancelled));
        Assert.Contains("\"state\":\"CANCELLED\"", cancelled.Events[1].DataJson);
    }

    [Fact]
    public void Update_without_a_change_announces_nothing_and_with_one_names_old_and_new_and_the_sub()
    {
        var sync = IdleSync() with { CredentialId = CredentialA, Frequency = "1h" };

        Assert.Empty(SyncRules.Update(Snapshot(sync), new UpdateSyncCommand(CredentialA, "1h", null, "bob"), Now).Events);
        var updated = Assert.Single(SyncRules.Update(Snapshot(sync), new UpdateSyncCommand(CredentialB, null, null, "bob"), Now).Events);

        Assert.Equal(EventTypes.SyncUpdated, updated.Type);
        Assert.Equal($$$"""{"changes":{"credentialId":{"old":"{{{CredentialA}}}","new":"{{{CredentialB}}}"}},"sub":"bob"}""", updated.DataJson);
    }

    [Fact]
    public void Disable_announces_the_disable_and_the_end_of_the_running_run_only()
    {
        var running = Running(RunType.Incremental);
        var queued = Run(RunType.Full, RunTrigger.Manual, RunState.Queued);

        var change = SyncRules.Disable(Snapshot(IdleSync() with { Status = SyncStatus.Active }, running, queued), Now);

        Assert.Equal([EventTypes.SyncDisabled, EventTypes.RunFinished], Types(change));
        Assert.Contains("\"state\":\"CANCELLED\"", change.Events[1].DataJson);
        Assert.Contains(running.Id.ToString(), change.Events[1].DataJson);
        Assert.Empty(SyncRules.Disable(Snapshot(IdleSync() with { Status = SyncStatus.Disabled }), Now).Events); // already disabled
    }

    [Fact]
    public void Render_writes_the_standard_properties_then_data()
    {
        var e = new LoggedEvent(new Guid("0193d5a0-0000-7000-8000-000000000001"), SyncId, 7, 42, "project-1", "alice", "googledrive",
            CredentialA, EventTypes.RecordCreated, new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2)),
            """{"model":"files","recordId":"r","externalId":"x"}""");

        Assert.Equal(
            $$$"""{"event":"record_created","eventId":"0193d5a0-0000-7000-8000-000000000001","sequence":42,"timestamp":"2026-01-02T01:04:05.678Z","sync":"googledrive","syncInstanceId":"{{{SyncId}}}","user":{"id":"alice"},"credentialId":"{{{CredentialA}}}","data":{"model":"files","recordId":"r","externalId":"x"}}""",
            EventJson.Render(e));
        Assert.Contains("\"credentialId\":null", EventJson.Render(e with { CredentialId = null }));
    }

    [Fact]
    public void Event_cursors_round_trip_and_anything_but_the_canonical_form_is_refused()
    {
        var cursor = EventCursor.Encode(7, 121);

        Assert.Equal(Convert.ToBase64String(Encoding.ASCII.GetBytes("events:7:121")), cursor);
        Assert.True(EventCursor.TryDecode(cursor, out var incarnation, out var sequence));
        Assert.Equal((7L, 121L), (incarnation, sequence));
        foreach (var bad in new[] { "", "x", RecordCursor.Encode(7, 121), Convert.ToBase64String("events:7:0121"u8.ToArray()),
                     Convert.ToBase64String("events:7"u8.ToArray()), Convert.ToBase64String("events:-7:1"u8.ToArray()), cursor + " " })
        {
            Assert.False(EventCursor.TryDecode(bad, out _, out _), bad);
        }
    }
}
