using GrpcSync.Engine.Budgets;
using GrpcSync.Engine.Configuration;
using GrpcSync.Connectors;
using GrpcSync.Engine.Credentials;
using GrpcSync.Engine.Dispatching;
using GrpcSync.Engine.Events;
using GrpcSync.Engine.History;
using GrpcSync.Engine.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GrpcSync.Engine;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the engine: <see cref="EngineOptions"/> (section <c>GrpcSync:Engine</c>, checked at
    /// startup), the <see cref="ConnectorRegistry"/> of every registered <see cref="IConnector"/>
    /// (the API needs it too), the per-integration <see cref="ConnectorBudgets"/> (section <c>GrpcSync:Connectors</c>),
    /// and the <see cref="SyncEngine"/> hosted service unless
    /// <c>Enabled</c> is false (an API-only replica), and with it the <see cref="RunRetention"/>, <see cref="EventRetention"/> and <see cref="EventRelay"/> loops
    /// (<see cref="EventOptions"/>, section <c>GrpcSync:Events</c>) and the <see cref="WebhookDeliveryWorker"/> (<see cref="WebhookOptions"/>,
    /// section <c>GrpcSync:Webhooks</c>). The host registers <c>IEngineStore</c>, <c>IRunHistoryStore</c>, <c>IEventStore</c>, <c>IWebhookDeliveryStore</c>, <see cref="IWebhookSecrets"/>,
    /// <see cref="ICredentialSecrets"/> and <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddGrpcSyncEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(EngineOptions.SectionName);
        services.AddOptions<EngineOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>());
        services.TryAddSingleton(sp => new ConnectorRegistry(sp.GetServices<IConnector>()));
        // grpcsync.* instruments on the host's meter factory (a process-wide meter where there is none).
        services.TryAddSingleton(sp => sp.GetService<System.Diagnostics.Metrics.IMeterFactory>() is { } meters
            ? new Telemetry.EngineMetrics(meters)
            : Telemetry.EngineMetrics.Shared);
        // GrpcSync:Connectors:<integration>:MaxRunsPerCredential / RequestsPerSecondPerCredential; bad values stop the start.
        services.TryAddSingleton(_ => ConnectorBudgets.FromConfiguration(configuration));
        // OAuth credentials' access tokens, refreshed under a lease in the store (runs and content downloads).
        services.TryAddSingleton(sp => new AccessTokenSources(sp.GetRequiredService<GrpcSync.Storage.IEngineStore>(),
            sp.GetService<GrpcSync.Storage.ICredentialTokenStore>(), sp.GetRequiredService<ICredentialSecrets>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.AddOptions<EventOptions>().Bind(configuration.GetSection(EventOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventOptions>, EventOptionsValidator>());
        // Webhook settings serve the API (URL checks) even on an API-only replica.
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>());

        var options = new EngineOptions();
        section.Bind(options);
        if (options.Enabled)
        {
            services.TryAddSingleton<SyncEngine>();
            services.AddHostedService(sp => sp.GetRequiredService<SyncEngine>());
            services.TryAddSingleton<EventRetention>();
            services.AddHostedService(sp => sp.GetRequiredService<EventRetention>());
            services.TryAddSingleton<RunRetention>();
            services.AddHostedService(sp => sp.GetRequiredService<RunRetention>());
            services.TryAddSingleton<EventRelay>();
            services.AddHostedService(sp => sp.GetRequiredService<EventRelay>());
            services.TryAddSingleton<WebhookSender>();
            services.TryAddSingleton<WebhookDeliveryWorker>();
            services.AddHostedService(sp => sp.GetRequiredService<WebhookDeliveryWorker>());
        }
        return services;
    }
}
