using GrpcSync.Server.Hosting;
using GrpcSync.Engine.Telemetry;
using GrpcSync.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GrpcSync.Server.Telemetry;

/// <summary>
/// OpenTelemetry for the host: metrics (GrpcSync's <c>grpcsync.*</c> meter, ASP.NET Core's and Kestrel's, gRPC's)
/// to the Prometheus scrape and, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, over OTLP; traces (the
/// <c>GrpcSync</c> ActivitySource: runs, pages, source calls; ASP.NET Core's server span per API call) over OTLP
/// only, since Prometheus has no traces. The standard <c>OTEL_*</c> variables (protocol, headers, service name)
/// apply to the exporters.
/// </summary>
public static class TelemetryRegistration
{
    /// <summary>The meters whose instruments are exported besides GrpcSync's own.</summary>
    private static readonly string[] BuiltInMeters =
        ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Grpc.AspNetCore.Server"];

    public static WebApplicationBuilder AddGrpcSyncTelemetry(this WebApplicationBuilder builder, GrpcSyncOptions options)
    {
        var telemetry = options.Telemetry;
        telemetry.Validate(options.RestPort, options.GrpcPort);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var exportMetrics = telemetry.Metrics.Enabled || otlp;

        builder.UseGrpcSyncMetricsPort(options);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "grpcsync",
                serviceVersion: typeof(TelemetryRegistration).Assembly.GetName().Version?.ToString()));
        if (exportMetrics)
        {
            otel.WithMetrics(metrics =>
            {
                metrics.AddMeter(EngineMetrics.MeterName).AddMeter(BuiltInMeters);
                if (telemetry.Metrics.Enabled)
                {
                    metrics.AddPrometheusExporter();
                }
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
            // The store-wide gauge: counted off the scrape path, every SyncCountInterval.
            builder.Services.TryAddSingleton(sp => new SyncStatusGauge(
                (ISyncStatusCounts)sp.GetRequiredService<ISyncStore>(), sp.GetRequiredService<EngineMetrics>(),
                sp.GetRequiredService<TimeProvider>(), telemetry.Metrics.SyncCountInterval, sp.GetRequiredService<ILogger<SyncStatusGauge>>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SyncStatusGauge>());
        }
        if (otlp)
        {
            otel.WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(telemetry.Tracing.SampleRatio)))
                .AddSource(EngineTracing.SourceName)
                .AddAspNetCoreInstrumentation(aspnet =>
                {
                    aspnet.Filter = context => !context.Request.Path.StartsWithSegments(telemetry.Metrics.Path, StringComparison.OrdinalIgnoreCase)
                                               && !context.Request.Path.StartsWithSegments("/healthz", StringComparison.OrdinalIgnoreCase);
                    aspnet.EnrichWithHttpResponse = ApiSpans.AddRpcMethod;
                })
                .AddOtlpExporter());
        }
        return builder;
    }

    /// <summary>The engine's store, timed into <c>grpcsync.store.operation.duration</c> when metrics go anywhere.</summary>
    public static IEngineStore TimedWhenMeasured(IServiceProvider services, IEngineStore store)
    {
        var options = services.GetRequiredService<IOptions<GrpcSyncOptions>>().Value;
        var configuration = services.GetRequiredService<IConfiguration>();
        var measured = options.Telemetry.Metrics.Enabled || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        return measured ? new TimedEngineStore(store, services.GetRequiredService<EngineMetrics>()) : store;
    }
}
