using GrpcSync.Engine.Webhooks;
using GrpcSync.Domain;
using GrpcSync.Engine.Configuration;
using GrpcSync.Engine.Events;
using GrpcSync.Engine.History;
using GrpcSync.Connectors;
using GrpcSync.Engine.Credentials;
using GrpcSync.Engine.Dispatching;
using GrpcSync.Engine.Tests.Infrastructure;
using GrpcSync.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine.Tests;

public abstract class HostingTests(TestStore store) : EngineTest(store)
{
    public sealed class OnSqlite() : HostingTests(TestStore.Sqlite);

    public sealed class OnPostgres() : HostingTests(TestStore.Postgres);

    [Fact]
    public async Task The_background_loop_runs_the_initial_run_at_start_and_the_scheduled_run_as_fake_time_passes()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        var engine = H.Engine;

        await engine.StartAsync(CancellationToken.None);
        await EngineHarness.EventuallyAsync(async () => (await H.SyncAsync(sync.Id)).Status == SyncStatus.Idle, what: "the initial run");
        var next = (await H.SyncAsync(sync.Id)).NextRunAt!.Value;
        H.Fake.Put("b", "B");

        // Time moves only while the loop sleeps on its poll delay (never racing a slow loop): first
        // straight to the planned start, then a poll interval at a time until the loop has claimed it.
        // (A round that read the clock just before a move claims on the next step: slower, never red.)
        var steps = new List<DateTimeOffset>();
        while ((await H.RunsAsync(sync.Id)).Count < 2)
        {
            Assert.True(steps.Count < 100, "The loop did not claim the due run: " + string.Join(", ", steps));
            var parked = H.LoopParkings;
            H.AdvanceTo(H.Now < next ? next : H.Now + H.Options.PollInterval);
            steps.Add(H.Now);
            await H.WaitUntilLoopParksAsync(parked);
        }
        await EngineHarness.EventuallyAsync(async () => (await H.RunsAsync(sync.Id))[1].State == RunState.Succeeded,
            what: "the scheduled incremental run to finish");
        await engine.StopAsync(CancellationToken.None).WaitAsync(Timeout);

        var runs = await H.RunsAsync(sync.Id);
        Assert.Equal([RunType.Initial, RunType.Incremental], runs.Select(r => r.Type));
        Assert.Equal(next, steps[0]);
        Assert.Contains(runs[1].StartedAt!.Value, steps); // claimed by a round at a time the test set, never before next
        Assert.Equal(["a", "b"], (await H.LiveRecordsAsync(sync.Id)).Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.Equal(0, engine.InFlightCount);
    }

    [Fact]
    public async Task The_background_loop_releases_its_in_flight_run_on_stop_after_the_shutdown_timeout()
    {
        var credential = await H.AddFakeCredentialAsync();
        H.Fake.Put("a", "A");
        var sync = await H.EnableAsync(credential);
        var gate = new Gate();
        H.Fake.ThenBlock(gate);
        var engine = H.Engine;

        await engine.StartAsync(CancellationToken.None);
        await gate.WaitEnteredAsync();
        var stopping = engine.StopAsync(CancellationToken.None);
        await EngineHarness.EventuallyAsync(
            () => Task.FromResult(H.Logs.Lines.Any(l => l.Contains("Sync engine stopping: waiting up to", StringComparison.Ordinal))),
            what: "the engine to wait for its run");
        H.Time.Advance(H.Options.ShutdownTimeout - TimeSpan.FromMilliseconds(1));
        await Task.Delay(100);
        Assert.False(stopping.IsCompleted, "Shutdown did not wait for the in-flight run.");
        H.Time.Advance(TimeSpan.FromMilliseconds(1));
        await stopping.WaitAsync(Timeout);

        Assert.True(gate.SawCancellation);
        Assert.Equal(EngineHarness.Start + H.Options.ShutdownTimeout, H.Now);
        var released = Assert.Single((await H.SnapshotAsync(sync.Id)).OpenRuns);
        Assert.Equal(RunState.Queued, released.State);
        Assert.True(released.DueAt <= H.Now);
        Assert.Null(released.LeaseOwner);
    }

    [Fact]
    public void The_engine_options_default_to_the_documented_values_and_map_to_the_run_policy()
    {
        var options = new EngineOptions();

        Assert.True(options.Enabled);
        Assert.Equal(1024, options.MaxConcurrentRuns);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Lease);
        Assert.Equal(TimeSpan.FromHours(24), options.FullSyncEvery);
        Assert.Equal(TimeSpan.FromSeconds(20), options.ShutdownTimeout);
        Assert.Equal(5, options.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(5), options.RetryBaseDelay);
        Assert.Equal(TimeSpan.FromMinutes(5), options.RetryMaxDelay);
        Assert.Equal(500, options.DispatchBatch);
        Assert.Equal(1000, options.FinishBatch);
        Assert.StartsWith($"{Environment.MachineName}-{Environment.ProcessId}-", options.WorkerId, StringComparison.Ordinal);
        Assert.NotEqual(options.WorkerId, new EngineOptions().WorkerId);
        Assert.Empty(options.Validate());
        Assert.Equal(new RunPolicy(), options.ToRunPolicy());

        var custom = new EngineOptions { Lease = TimeSpan.FromSeconds(45), MaxRetries = 2, FullSyncEvery = TimeSpan.FromHours(6) }.ToRunPolicy();
        Assert.Equal((TimeSpan.FromSeconds(45), 2, TimeSpan.FromHours(6)), (custom.Lease, custom.MaxRetries, custom.FullSyncEvery));
    }

    [Fact]
    public void AddGrpcSyncEngine_binds_the_options_and_registers_the_connectors_and_the_hosted_engine()
    {
        using var provider = Services(new()
        {
            ["GrpcSync:Engine:MaxConcurrentRuns"] = "7",
            ["GrpcSync:Engine:Lease"] = "00:00:45",
            ["GrpcSync:Engine:WorkerId"] = "replica-a",
            ["GrpcSync:Events:Retention"] = "7.00:00:00",
            ["GrpcSync:Engine:RunRetention"] = "3.00:00:00",
        }).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<EngineOptions>>().Value;
        Assert.Equal((7, TimeSpan.FromSeconds(45), "replica-a"), (options.MaxConcurrentRuns, options.Lease, options.WorkerId));
        Assert.Equal(["fake"], provider.GetRequiredService<ConnectorRegistry>().Integrations);
        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Equal(5, hosted.Count);
        var engine = Assert.IsType<SyncEngine>(hosted[0]);
        Assert.Equal("replica-a", engine.WorkerId);
        Assert.Same(engine, provider.GetRequiredService<SyncEngine>());
        Assert.Same(provider.GetRequiredService<EventRetention>(), Assert.IsType<EventRetention>(hosted[1])); // the retention loop
        Assert.Same(provider.GetRequiredService<RunRetention>(), Assert.IsType<RunRetention>(hosted[2])); // run history's
        Assert.Same(provider.GetRequiredService<EventRelay>(), Assert.IsType<EventRelay>(hosted[3])); // positions, fan-out
        Assert.Same(provider.GetRequiredService<WebhookDeliveryWorker>(), Assert.IsType<WebhookDeliveryWorker>(hosted[4]));
        Assert.Equal(TimeSpan.FromDays(7), provider.GetRequiredService<IOptions<EventOptions>>().Value.Retention);
        Assert.Equal(TimeSpan.FromDays(3), options.RunRetention);
        Assert.Equal(TimeSpan.FromDays(7), new EngineOptions().RunRetention); // the default
    }

    [Fact]
    public void AddGrpcSyncEngine_registers_no_engine_on_an_api_only_replica_but_still_the_connectors()
    {
        var services = Services(new() { ["GrpcSync:Engine:Enabled"] = "false" });

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IHostedService));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(SyncEngine));
        using var provider = services.BuildServiceProvider();
        Assert.Equal(["fake"], provider.GetRequiredService<ConnectorRegistry>().Integrations);
        Assert.False(provider.GetRequiredService<IOptions<EngineOptions>>().Value.Enabled);
    }

    [Fact]
    public void Invalid_engine_settings_are_refused()
    {
        using var provider = Services(new() { ["GrpcSync:Engine:MaxConcurrentRuns"] = "0" }).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EngineOptions>>().Value);
        Assert.Contains("GrpcSync:Engine:MaxConcurrentRuns must be at least 1.", error.Failures);
        Assert.Contains("GrpcSync:Engine:Lease must be at least 1 second.", new EngineOptions { Lease = TimeSpan.FromMilliseconds(2) }.Validate());
    }

    [Fact]
    public void Invalid_event_settings_are_refused()
    {
        using var provider = Services(new() { ["GrpcSync:Events:Retention"] = "00:00:00", ["GrpcSync:Events:RetentionBatch"] = "0" })
            .BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EventOptions>>().Value);
        Assert.Equal(["GrpcSync:Events:Retention must be positive.", "GrpcSync:Events:RetentionBatch must be at least 1."], error.Failures);
        Assert.Equal(TimeSpan.FromDays(30), new EventOptions().Retention);
    }

    private ServiceCollection Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IEngineStore>(H.EngineStore);
        services.AddSingleton<IEventStore>((IEventStore)H.Store);
        services.AddSingleton<IRunHistoryStore>((IRunHistoryStore)H.Store);
        services.AddSingleton<ICredentialSecrets>(new PassThroughSecrets());
        services.AddSingleton<IWebhookDeliveryStore>((IWebhookDeliveryStore)H.Store);
        services.AddSingleton<IWebhookSecrets>(new PassThroughSecrets());
        services.AddSingleton<TimeProvider>(H.Time);
        services.AddSingleton<IConnector>(H.Fake);
        services.AddGrpcSyncEngine(configuration);
        return services;
    }
}
