using GrpcSync.Storage;
using GrpcSync.Storage.Postgres;
using GrpcSync.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace GrpcSync.Server.Hosting;

public static class StoreRegistration
{
    /// <summary>The configured store: SQLite in DataDirectory by default, PostgreSQL for several replicas.</summary>
    public static IServiceCollection AddGrpcSyncStore(this IServiceCollection services, GrpcSyncOptions options)
    {
        services.AddSingleton<ISyncStore>(_ => options.Store.Provider.ToLowerInvariant() switch
        {
            "sqlite" => new SqliteSyncStore(options.Store.ConnectionString is { Length: > 0 } cs
                ? cs
                : $"Data Source={Path.Combine(EnsureDirectory(options.DataDirectory), "grpcsync.db")}",
                durability: SqliteDurabilityOf(options.Store.SqliteDurability))
            {
                LogEvents = options.Store.EventLog,
                WalAutocheckpointPages = options.Store.SqliteWalAutocheckpointPages,
                WriterCacheSizeKiB = options.Store.SqliteWriterCacheSizeKiB,
                PageSize = options.Store.SqlitePageSize,
            },
            "postgres" or "postgresql" => new PostgresSyncStore(options.Store.ConnectionString is { Length: > 0 } pg
                ? pg
                : throw new InvalidOperationException("GrpcSync:Store:ConnectionString is required when GrpcSync:Store:Provider is Postgres."))
            { LogEvents = options.Store.EventLog },
            var other => throw new InvalidOperationException($"Unknown GrpcSync:Store:Provider '{other}'; use Sqlite or Postgres."),
        });
        // One store object serves the API, the engine and record reads.
        services.AddSingleton(sp => Telemetry.TelemetryRegistration.TimedWhenMeasured(sp, (IEngineStore)sp.GetRequiredService<ISyncStore>()));
        services.AddSingleton(sp => (ICredentialTokenStore)sp.GetRequiredService<ISyncStore>());
        services.AddSingleton(sp => (IRecordStore)sp.GetRequiredService<ISyncStore>());
        services.AddSingleton(sp => (IEventStore)sp.GetRequiredService<ISyncStore>());
        services.AddSingleton(sp => (IRunHistoryStore)sp.GetRequiredService<ISyncStore>());
        services.AddSingleton(sp => (IWebhookStore)sp.GetRequiredService<ISyncStore>());
        services.AddSingleton(sp => (IWebhookDeliveryStore)sp.GetRequiredService<ISyncStore>());
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store");
        return services;
    }

    /// <summary>Applies the store's schema migrations before the ports open.</summary>
    public static Task MigrateStoreAsync(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<GrpcSyncOptions>>().Value.Store.EventLog is false)
        {
            app.Logger.LogWarning("GrpcSync:Store:EventLog is false: no change logs its events, so no webhook is delivered " +
                                  "and no event is listed or streamed. Use it only to measure what the log costs.");
        }
        return app.Services.GetRequiredService<ISyncStore>().MigrateAsync(app.Lifetime.ApplicationStopping);
    }

    private static SqliteDurability SqliteDurabilityOf(string? value) =>
        Enum.TryParse<SqliteDurability>(value, ignoreCase: true, out var durability) && Enum.IsDefined(durability)
            && !int.TryParse(value, out _) // a number is not a name
            ? durability
            : throw new InvalidOperationException($"Unknown GrpcSync:Store:SqliteDurability '{value}'; use Normal or Full.");

    private static string EnsureDirectory(string path)
    {
        Directory.CreateDirectory(path);
        return path;
    }
}
